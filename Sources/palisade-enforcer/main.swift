import Foundation

#if canImport(Glibc)
    import Glibc
#endif

let status = EnforcerCommand.main(Array(CommandLine.arguments.dropFirst()))
// Node threads may still be inside OpenSSL: leave without running atexit handlers under them.
fflush(nil)
_exit(status)

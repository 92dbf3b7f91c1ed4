import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Waits for SIGTERM or SIGINT, for executables that run a server until told to stop.
public enum ShutdownSignal {
    /// Returns the name of the first termination signal received. Also ignores SIGPIPE, which
    /// a write to a closed socket would otherwise turn into process death. Signals that arrive
    /// after the first are ignored while the caller shuts down.
    public static func wait() async -> String {
        signal(SIGPIPE, SIG_IGN)
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let queue = DispatchQueue(label: "palisade.signals")
        let sources = [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { number, name -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            return source
        }
        defer { withExtendedLifetime(sources) {} }
        for await name in stream { return name }
        return "end of signal stream"
    }
}

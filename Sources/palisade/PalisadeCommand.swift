import Foundation
import HTTP
import Logging
import PalisadeServer

/// `palisade [serve] [options]`: parses the command line and runs the server. Usage errors
/// exit 64 (EX_USAGE); start-up failures exit 1 with one clear line.
enum PalisadeCommand {
    static let help = """
        Usage: palisade <command> [options]

        Palisade is the management server of a container-security system: policy, inventory,
        events and the enforcer channel.

        Commands:
          serve     Run the server (the default command)
          help      Show this help

        Run 'palisade serve --help' for the server's options.
        """

    static func main(_ arguments: [String]) async -> Int32 {
        var arguments = arguments
        let command = arguments.first.flatMap { $0.hasPrefix("-") ? nil : $0 } ?? "serve"
        if arguments.first == command { arguments.removeFirst() }
        switch command {
        case "serve":
            return await serve(arguments)
        case "help":
            print(help)
            return 0
        default:
            if ["-h", "--help"].contains(command) {
                print(help)
                return 0
            }
            return usageFailure("unknown command '\(command)' (see 'palisade --help')")
        }
    }

    static func serve(_ arguments: [String]) async -> Int32 {
        if arguments.contains("-h") || arguments.contains("--help") {
            print(ServerConfiguration.serveHelp)
            return 0
        }
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(
                arguments: arguments, environment: ProcessInfo.processInfo.environment)
        } catch {
            return usageFailure(error.message)
        }
        let signals = ShutdownSignal()
        let sink = StreamLogSink(format: configuration.logFormat)
        defer { sink.flush() }
        let logger = Logger(label: "palisade", level: configuration.logLevel, sink: sink)
        let server: PalisadeServer
        do {
            server = try await PalisadeServer.start(configuration, logger: logger)
        } catch {
            sink.flush()
            FileHandle.standardError.write(Data("palisade: cannot start: \(error)\n".utf8))
            return 1
        }
        print(
            "palisade: serving https://\(server.addresses.api)"
                + (server.addresses.plain.map { " and http://\($0)" } ?? ""))
        fflush(nil)  // All streams: the line above must reach a pipe before we block.
        let signal = await signals.wait()
        logger.notice("shutting down", ["signal": signal])
        await server.stop()
        return 0
    }

    static func usageFailure(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("palisade: \(message)\n".utf8))
        return 64
    }
}

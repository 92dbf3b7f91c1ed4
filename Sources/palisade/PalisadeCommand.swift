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
          migrate   Apply pending database migrations, then exit
          admin     Maintenance: reset a password, export the CA certificate
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
        case "migrate":
            return await migrate(arguments)
        case "admin":
            return await AdminCommand.main(arguments)
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

    /// The outcome of reading a subcommand's options: run with a configuration, or exit now.
    enum Parsed {
        case run(ServerConfiguration)
        case exit(Int32)
    }

    /// Shared by `serve` and `migrate`: help, then flags > environment > config file.
    static func parse(_ arguments: [String], help: String) -> Parsed {
        if arguments.contains("-h") || arguments.contains("--help") {
            print(help)
            return .exit(0)
        }
        do {
            return .run(
                try ServerConfiguration.resolve(arguments: arguments, environment: ProcessInfo.processInfo.environment))
        } catch {
            return .exit(usageFailure(error.message))
        }
    }

    /// The process's logger; the sink must be flushed before exit.
    static func makeLogger(_ configuration: ServerConfiguration) -> (Logger, StreamLogSink) {
        let sink = StreamLogSink(format: configuration.logFormat)
        return (Logger(label: "palisade", level: configuration.logLevel, sink: sink), sink)
    }

    static func serve(_ arguments: [String]) async -> Int32 {
        let configuration: ServerConfiguration
        switch parse(arguments, help: ServerConfiguration.serveHelp) {
        case .run(let parsed): configuration = parsed
        case .exit(let status): return status
        }
        let signals = ShutdownSignal()
        let (logger, sink) = makeLogger(configuration)
        defer { sink.flush() }
        let server: PalisadeServer
        do {
            server = try await PalisadeServer.start(configuration, logger: logger)
        } catch {
            sink.flush()
            FileHandle.standardError.write(Data("palisade: cannot start: \(String(reflecting: error))\n".utf8))
            return 1
        }
        if let password = server.bootstrap?.generatedPassword, let file = server.bootstrap?.passwordFile {
            // The one time this password is shown; it is never logged.
            print("palisade: created user 'admin' with password \(password) (also in \(file), mode 0600)")
        }
        print(
            "palisade: serving https://\(server.addresses.api)"
                + (server.addresses.plain.map { " and http://\($0)" } ?? "")
                + (server.addresses.enforcer.map { "; enforcer channel on \($0)" } ?? ""))
        fflush(nil)  // All streams: the line above must reach a pipe before we block.
        let signal = await signals.wait()
        logger.notice("shutting down", ["signal": signal])
        await server.stop()
        return 0
    }

    /// `palisade migrate`: the same configuration as `serve` (only the data directory and the
    /// database URL matter); applies what is pending and prints what it applied.
    static func migrate(_ arguments: [String]) async -> Int32 {
        let help = """
            Usage: palisade migrate [--data-dir PATH] [--database-url URL] [--config PATH]

            Applies pending migrations from Migrations/ (each in its own transaction, under an
            advisory lock, so concurrent runs are safe) and exits. Without a database URL it
            uses the embedded PostgreSQL of the data directory.
            """
        let configuration: ServerConfiguration
        switch parse(arguments, help: help) {
        case .run(let parsed): configuration = parsed
        case .exit(let status): return status
        }
        return await withDatabase(configuration, action: "migrate") { database in
            print(
                database.appliedAtOpen.isEmpty
                    ? "palisade: schema is up to date"
                    : "palisade: applied \(database.appliedAtOpen.joined(separator: ", "))")
            return 0
        }
    }

    /// Opens the configured database for a command that runs and exits (migrations applied on
    /// the way), runs `body`, and closes it. With the embedded PostgreSQL it takes the data
    /// directory's lock, so it refuses to run beside a server that owns it.
    static func withDatabase(
        _ configuration: ServerConfiguration, action: String, _ body: (Database) async throws -> Int32
    ) async -> Int32 {
        let (logger, sink) = makeLogger(configuration)
        defer { sink.flush() }
        do {
            let dataDirectory = try DataDirectory.prepare(configuration.dataDirectory)
            // The embedded cluster belongs to one process at a time; an external database does not.
            let lock = configuration.databaseURL == nil ? try dataDirectory.lock() : -1
            defer { if lock >= 0 { close(lock) } }
            let group = try EventLoopGroup(count: 1)
            defer { group.stop() }
            let database = try await Database.open(
                configuration, dataDirectory: dataDirectory, group: group, logger: logger)
            let status: Int32
            do { status = try await body(database) } catch {
                await database.close()
                throw error
            }
            await database.close()
            return status
        } catch {
            sink.flush()
            return failure("\(action) failed: \(String(reflecting: error))")
        }
    }

    /// One clear line on standard error; returns the exit status (1 unless said otherwise).
    static func failure(_ message: String, status: Int32 = 1) -> Int32 {
        FileHandle.standardError.write(Data("palisade: \(message)\n".utf8))
        return status
    }

    static func usageFailure(_ message: String) -> Int32 { failure(message, status: 64) }
}

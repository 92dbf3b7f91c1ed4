import Foundation
import PalisadeServer

/// `palisade admin …`: maintenance that needs no running server and no signed-in admin.
enum AdminCommand {
    static let help = """
        Usage: palisade admin <command> [options]

        Commands:
          reset-password --user NAME [--password-stdin]
                      Set a new password for NAME and end all of its sessions (audited).
                      Without --password-stdin a password is generated and printed once.
                      With the embedded PostgreSQL, stop the server first (it owns the data
                      directory); with --database-url it can run beside the server.
          ca-export   Print the certificate authority's certificate (PEM): what browsers,
                      palisadectl and enforcers should trust.

        Both take the server's --data-dir, --database-url and --config options.
        Exit status: 0 done, 64 bad usage, 65 unacceptable password, 67 no such user, 1 other failure.
        """

    static func main(_ arguments: [String]) async -> Int32 {
        guard let command = arguments.first, !command.hasPrefix("-") else {
            if arguments.contains("-h") || arguments.contains("--help") {
                print(help)
                return 0
            }
            return PalisadeCommand.usageFailure("admin needs a command (see 'palisade admin --help')")
        }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "reset-password": return await resetPassword(rest)
        case "ca-export": return caExport(rest)
        case "help":
            print(help)
            return 0
        default: return PalisadeCommand.usageFailure("unknown admin command '\(command)' (see 'palisade admin --help')")
        }
    }

    static func resetPassword(_ arguments: [String]) async -> Int32 {
        var serverArguments: [String] = []
        var user: String?
        var fromStandardInput = false
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--user":
                guard index + 1 < arguments.count, !arguments[index + 1].isEmpty, !arguments[index + 1].hasPrefix("--")
                else {
                    return PalisadeCommand.usageFailure("--user needs a user name")
                }
                user = arguments[index + 1]
                index += 1
            case "--password-stdin":
                fromStandardInput = true
            default:
                serverArguments.append(arguments[index])
            }
            index += 1
        }
        let configuration: ServerConfiguration
        switch PalisadeCommand.parse(serverArguments, help: help) {
        case .run(let parsed): configuration = parsed
        case .exit(let status): return status
        }
        guard let user else { return PalisadeCommand.usageFailure("reset-password needs --user NAME") }
        var password: String?
        if fromStandardInput {
            guard let line = readPasswordLine() else {
                return PalisadeCommand.failure(
                    "the password on standard input must be one line of UTF-8, at most 1024 bytes", status: 65)
            }
            password = line
        }
        return await PalisadeCommand.withDatabase(configuration, action: "reset-password") { database in
            do {
                let outcome = try await PasswordReset.reset(user: user, to: password, pool: database.pool)
                if let generated = outcome.generatedPassword {
                    print("palisade: new password for '\(user)': \(generated)")  // Shown once, never logged.
                }
                print("palisade: password of '\(user)' reset; \(outcome.sessionsEnded) session(s) ended")
                if outcome.isDisabled { print("palisade: note: '\(user)' is disabled; an admin can re-enable it") }
                return 0
            } catch let failure as PasswordReset.Failure {
                if case .noSuchUser = failure { return PalisadeCommand.failure("\(failure)", status: 67) }
                return PalisadeCommand.failure("\(failure)", status: 65)
            }
        }
    }

    /// One line from standard input, read with a bound (a password is at most 1024 bytes).
    private static func readPasswordLine() -> String? {
        let data = FileHandle.standardInput.readData(ofLength: 1026)
        var bytes = [UInt8](data)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard bytes.count <= 1024, !bytes.contains(UInt8(ascii: "\n")) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func caExport(_ arguments: [String]) -> Int32 {
        let configuration: ServerConfiguration
        switch PalisadeCommand.parse(arguments, help: help) {
        case .run(let parsed): configuration = parsed
        case .exit(let status): return status
        }
        let path = URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("tls/ca.pem").path
        guard let pem = FileManager.default.contents(atPath: path), !pem.isEmpty else {
            return PalisadeCommand.failure("no certificate authority at \(path): start 'palisade serve' once")
        }
        FileHandle.standardOutput.write(pem)
        return 0
    }
}

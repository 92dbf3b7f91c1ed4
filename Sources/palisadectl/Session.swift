import Foundation
import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// `login` and `logout`.
enum Session {
    static func login(_ arguments: Arguments, json: Bool) throws(Failure) {
        try arguments.check(allowed: ["username", "password-stdin"])
        let client = try APIClient(arguments, requireToken: false)
        let username = arguments["username"] ?? ProcessInfo.processInfo.environment["PALISADE_USERNAME"] ?? "admin"
        let password = try readPassword(fromStdin: arguments.has("password-stdin"))
        let answer = try client.call(
            "POST", "/v1/auth/login", body: .object(["username": .string(username), "password": .string(password)]))
        guard case .string(let token)? = answer["token"] else { throw .api("the server sent no token") }
        try StoredLogin(server: client.server, ca: client.ca.map(absolute), token: token, user: username).save()
        if json {
            print(
                Palisadectl.pretty(
                    .object(["user": answer["user"] ?? .null, "expires_at": answer["expires_at"] ?? .null])))
        } else {
            print("signed in to \(client.server) as \(username) until \(answer["expires_at"]?.text ?? "?")")
        }
    }

    static func logout(_ arguments: Arguments) throws(Failure) {
        try arguments.check(allowed: [])
        guard var stored = StoredLogin.load(), stored.token != nil else { throw .usage("not signed in") }
        let client = try APIClient(arguments)
        defer {
            stored.token = nil
            try? stored.save()
        }
        try client.call("POST", "/v1/auth/logout")
        print("signed out")
    }

    /// The password from standard input (one line) or, on a terminal, a prompt without echo;
    /// PALISADE_PASSWORD for scripts. Never from a command-line argument (it would show in ps).
    static func readPassword(fromStdin: Bool) throws(Failure) -> String {
        if let password = ProcessInfo.processInfo.environment["PALISADE_PASSWORD"], !password.isEmpty, !fromStdin {
            return password
        }
        if fromStdin || isatty(STDIN_FILENO) == 0 {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw .usage("no password on standard input")
            }
            return line
        }
        guard let typed = getpass("Password: ") else { throw .usage("no password given") }
        return String(cString: typed)
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

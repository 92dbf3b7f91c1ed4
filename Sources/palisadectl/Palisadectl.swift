import Foundation
import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// `palisadectl`: the REST API from a shell, for people (tables) and scripts (`-o json`).
enum Palisadectl {
    static let help = """
        Usage: palisadectl <command> [options]

        Commands:
          login [--username NAME] [--password-stdin]   Sign in; the token is kept (0600) in
                                                       $XDG_CONFIG_HOME/palisade/palisadectl.json
          logout                                       End the stored session
          whoami                                       Who the current credentials are
          get <resource> [NAME|ID] [--filter k=v]... [--limit N]
          create <resource> -f FILE                    Create from a JSON object (FILE '-' = stdin)
          apply <resource> -f FILE                     Create or replace: groups by name, rules and
                                                       response-rules by id (a JSON object or array)
          apply process-profile GROUP -f FILE          Replace a group's process profile
          delete <resource> NAME|ID                    Delete (keys and tokens: revoke; enforcers: revoke)
          policy export [--group NAME] [-f FILE]       The whole policy as one JSON document
          policy import -f FILE [--dry-run]            Replace the policy; --dry-run shows the diff only
          events tail [--filter k=v]... [--interval SECONDS] [--count N]
                                                       Print new events as they arrive
          api-key create --name NAME --role ROLE [--expires-at RFC3339]
          enforcer-token create --ttl SECONDS --max-uses N

        Resources: groups, rules, response-rules, users, api-keys, enforcers, enforcer-tokens,
                   hosts, workloads, events, audit

        Options (anywhere):
          --server URL    Palisade's API (env PALISADE_SERVER; default https://127.0.0.1:10443)
          --ca FILE       CA bundle to trust (env PALISADE_CA; default ./.palisade/tls/ca.pem if
                          present, else the system store)
          -o, --output    table (default) or json
        PALISADE_TOKEN (an API key or session token) overrides the stored login.

        Exit status: 0 ok, 1 the API refused, 64 bad usage, 65 bad input file, 69 unreachable.
        """

    static func main(_ arguments: [String]) -> Int32 {
        do {
            let parsed = try Arguments(arguments)
            if parsed.words.isEmpty || parsed.words.first == "help" || (parsed.has("help") && parsed.words.count <= 1) {
                print(help)
                return parsed.words.isEmpty && !parsed.has("help") ? 64 : 0
            }
            let output = parsed["output"] ?? "table"
            guard output == "table" || output == "json" else { throw Failure.usage("-o must be table or json") }
            try run(parsed, json: output == "json")
            return 0
        } catch {
            FileHandle.standardError.write(Data("palisadectl: \(error.message)\n".utf8))
            return error.status
        }
    }

    static func run(_ arguments: Arguments, json: Bool) throws(Failure) {
        var words = arguments.words
        let command = words.removeFirst()
        switch command {
        case "login": try Session.login(arguments, json: json)
        case "logout": try Session.logout(arguments)
        case "whoami":
            try arguments.check(allowed: [])
            let me = try APIClient(arguments).call("GET", "/v1/auth/me")
            print(
                json
                    ? pretty(me) : "\(me["name"]?.text ?? "?") (\(me["role"]?.text ?? "?"), \(me["kind"]?.text ?? "?"))"
            )
        case "get": try Verbs.get(words, arguments, json: json)
        case "create": try Verbs.create(words, arguments, json: json)
        case "apply": try Verbs.apply(words, arguments, json: json)
        case "delete": try Verbs.delete(words, arguments)
        case "policy": try PolicyCommands.run(words, arguments, json: json)
        case "events": try EventsTail.run(words, arguments, json: json)
        case "api-key", "enforcer-token": try Secrets.create(command, words, arguments, json: json)
        default: throw .usage("unknown command '\(command)'")
        }
    }

    static func pretty(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// Reads a JSON file (`-` for standard input), bounded, with a clear error when it is not JSON.
    static func readJSON(_ path: String?) throws(Failure) -> JSONValue {
        guard let path else { throw .usage("-f FILE is required") }
        let data: Data?
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: path)
        }
        guard let data else { throw .data("cannot read \(path)") }
        guard data.count <= 16 << 20 else { throw .data("\(path) is larger than 16 MiB") }
        do { return try JSONCoding.decode(JSONValue.self, from: Array(data)) } catch {
            throw .data("\(path) is not valid JSON")
        }
    }
}

extension Error {
    var message: String { (self as? Failure)?.message ?? "\(self)" }
    var status: Int32 { (self as? Failure)?.status ?? 1 }
}

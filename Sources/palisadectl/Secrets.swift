import Foundation
import HTTP

/// `api-key create` and `enforcer-token create`: the secret is printed once, as the server
/// shows it only once.
enum Secrets {
    static func create(_ command: String, _ words: [String], _ arguments: Arguments, json: Bool) throws(Failure) {
        guard words == ["create"] else { throw .usage("\(command) create ...") }
        let body: JSONValue
        let path: String
        if command == "api-key" {
            try arguments.check(allowed: ["name", "role", "expires-at"])
            guard let name = arguments["name"], let role = arguments["role"] else {
                throw .usage("api-key create --name NAME --role admin|operator|reader [--expires-at RFC3339]")
            }
            var fields: [String: JSONValue] = ["name": .string(name), "role": .string(role)]
            if let expiry = arguments["expires-at"] { fields["expires_at"] = .string(expiry) }
            body = .object(fields)
            path = "/v1/api-keys"
        } else {
            try arguments.check(allowed: ["ttl", "max-uses"])
            guard let ttl = arguments["ttl"].flatMap({ Int64($0) }),
                let uses = arguments["max-uses"].flatMap({ Int64($0) })
            else { throw .usage("enforcer-token create --ttl SECONDS --max-uses N") }
            body = .object(["ttl_seconds": .integer(ttl), "max_uses": .integer(uses)])
            path = "/v1/enforcer-tokens"
        }
        let created = try APIClient(arguments).call("POST", path, body: body)
        if json {
            print(Palisadectl.pretty(created))
        } else {
            let secret = created["secret"] ?? created["token"] ?? .null
            print("id:      \(created["id"]?.text ?? "?")")
            let expiry = created["expires_at"].flatMap { $0 == .null ? nil : $0.text } ?? "never"
            print("expires: \(expiry)")
            print("secret:  \(secret.text)")
            print("(shown only now; store it safely)")
        }
    }
}

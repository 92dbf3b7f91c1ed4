import Foundation
import HTTP

/// `get`, `create`, `apply`, `delete` over the resources.
enum Verbs {
    static func get(_ words: [String], _ arguments: Arguments, json: Bool) throws(Failure) {
        try arguments.check(allowed: ["filter", "limit"])
        guard let word = words.first, words.count <= 2 else { throw .usage("get <resource> [NAME|ID]") }
        let resource = try Resource.named(word)
        let client = try APIClient(arguments)
        if words.count == 2 {
            let item = try client.call("GET", resource.path(of: words[1]))
            print(json ? Palisadectl.pretty(item) : Table.render([item], columns: resource.columns))
            return
        }
        guard let limit = Int(arguments["limit"] ?? "1000"), limit > 0 else {
            throw .usage("--limit must be a positive number")
        }
        let items = try client.list(resource.path, query: arguments.filters, limit: limit)
        print(json ? Palisadectl.pretty(.array(items)) : Table.render(items, columns: resource.columns))
    }

    static func create(_ words: [String], _ arguments: Arguments, json: Bool) throws(Failure) {
        try arguments.check(allowed: ["file"])
        guard words.count == 1 else { throw .usage("create <resource> -f FILE") }
        let resource = try Resource.named(words[0])
        guard resource.creatable else { throw .usage("\(resource.name) cannot be created from palisadectl") }
        let body = try Palisadectl.readJSON(arguments["file"])
        guard case .object = body else { throw .data("create needs one JSON object") }
        let created = try APIClient(arguments).call("POST", resource.path, body: body)
        print(json ? Palisadectl.pretty(created) : Table.render([created], columns: resource.columns))
    }

    /// Creates or replaces each object of the file: groups by name, rules and response rules by
    /// `id` (without one, they are created). Stops at the first refusal.
    static func apply(_ words: [String], _ arguments: Arguments, json: Bool) throws(Failure) {
        try arguments.check(allowed: ["file"])
        let client = try APIClient(arguments)
        if words.first == "process-profile" {
            guard words.count == 2 else { throw .usage("apply process-profile GROUP -f FILE") }
            let profile = try client.call(
                "PUT", try Resource.named("groups").path(of: words[1]) + "/process-profile",
                body: try Palisadectl.readJSON(arguments["file"]))
            print(
                json
                    ? Palisadectl.pretty(profile)
                    : "process profile of \(words[1]): \(profile["items"].map { if case .array(let a) = $0 { a.count } else { 0 } } ?? 0) entries"
            )
            return
        }
        guard words.count == 1 else { throw .usage("apply <resource> -f FILE") }
        let resource = try Resource.named(words[0])
        guard ["groups", "rules", "response-rules"].contains(resource.name) else {
            throw .usage("apply works on groups, rules, response-rules and process-profile")
        }
        let document = try Palisadectl.readJSON(arguments["file"])
        let objects: [JSONValue]
        switch document {
        case .array(let items): objects = items
        case .object: objects = [document]
        default: throw .data("apply needs a JSON object or an array of objects")
        }
        var results: [JSONValue] = []
        for var object in objects {
            guard case .object(var fields) = object else { throw .data("apply needs JSON objects") }
            if resource.key == "name" {
                guard case .string(let name)? = fields["name"] else { throw .data("every group needs a name") }
                let exists: Bool
                do {
                    try client.call("GET", resource.path(of: name))
                    exists = true
                } catch  where error.message.hasPrefix("404") {
                    exists = false
                }
                results.append(
                    try client.call(
                        exists ? "PUT" : "POST", exists ? resource.path(of: name) : resource.path, body: object))
            } else if let id = fields.removeValue(forKey: "id") {
                object = .object(fields)
                results.append(try client.call("PUT", resource.path(of: id.text), body: object))
            } else {
                results.append(try client.call("POST", resource.path, body: object))
            }
        }
        print(json ? Palisadectl.pretty(.array(results)) : Table.render(results, columns: resource.columns))
    }

    static func delete(_ words: [String], _ arguments: Arguments) throws(Failure) {
        try arguments.check(allowed: [])
        guard words.count == 2 else { throw .usage("delete <resource> NAME|ID") }
        let resource = try Resource.named(words[0])
        let client = try APIClient(arguments)
        switch resource.name {
        case "enforcers": try client.call("POST", resource.path(of: words[1]) + "/revoke")
        case "groups", "rules", "response-rules", "users", "api-keys", "enforcer-tokens":
            try client.call("DELETE", resource.path(of: words[1]))
        default: throw .usage("\(resource.name) cannot be deleted")
        }
        print("deleted \(resource.name.dropLast(resource.name.hasSuffix("s") ? 1 : 0)) \(words[1])")
    }
}

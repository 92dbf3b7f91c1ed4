import Foundation
import HTTP

/// `policy export` and `policy import`.
enum PolicyCommands {
    static func run(_ words: [String], _ arguments: Arguments, json: Bool) throws(Failure) {
        switch words {
        case ["export"]:
            try arguments.check(allowed: ["group", "file"])
            let query = arguments["group"].map { [("group", $0)] } ?? []
            let document = Palisadectl.pretty(try APIClient(arguments).call("GET", "/v1/policy/export", query: query))
            if let file = arguments["file"], file != "-" {
                guard FileManager.default.createFile(atPath: file, contents: Data((document + "\n").utf8)) else {
                    throw .data("cannot write \(file)")
                }
                print("exported the policy to \(file)")
            } else {
                print(document)
            }
        case ["import"]:
            try arguments.check(allowed: ["file", "dry-run"])
            let document = try Palisadectl.readJSON(arguments["file"])
            let dryRun = arguments.has("dry-run")
            let result = try APIClient(arguments).call(
                "POST", "/v1/policy/import", query: dryRun ? [("dry_run", "true")] : [], body: document)
            if json {
                print(Palisadectl.pretty(result))
                return
            }
            print(
                dryRun
                    ? "dry run: nothing was changed"
                    : (result["applied"] == .bool(true)
                        ? "applied, revision \(result["revision"]?.text ?? "?")" : "no changes"))
            for kind in ["groups", "rules", "process_profiles", "response_rules"] {
                for change in ["created", "changed", "deleted"] {
                    guard case .array(let entries)? = result["diff"]?[kind]?[change] else { continue }
                    for entry in entries {
                        print(
                            "  \(change.padding(toLength: 8, withPad: " ", startingAt: 0)) \(kind.dropLast()) \(entry.text)"
                        )
                    }
                }
            }
        default:
            throw .usage("policy export [--group NAME] [-f FILE] | policy import -f FILE [--dry-run]")
        }
    }
}

import Foundation
import HTTP

/// The API resources palisadectl knows: where they live, how one is named, and which columns
/// a table shows.
struct Resource: Sendable {
    struct Column: Sendable {
        let header: String
        let value: @Sendable (JSONValue) -> String

        init(_ header: String, _ key: String) {
            self.header = header
            self.value = { $0[key]?.text ?? "-" }
        }

        init(_ header: String, _ value: @escaping @Sendable (JSONValue) -> String) {
            self.header = header
            self.value = value
        }
    }

    let name: String
    let path: String
    /// The field that names one item (`name` or `id`).
    let key: String
    let columns: [Column]
    var creatable = true

    static let all: [Resource] = [
        Resource(
            name: "groups", path: "/v1/groups", key: "name",
            columns: [
                .init("NAME", "name"), .init("MODE", "policy_mode"), .init("LEARNED", "learned"),
                .init("MEMBERS", "member_count"),
                .init("CRITERIA") { group in
                    guard case .array(let criteria)? = group["criteria"], !criteria.isEmpty else { return "-" }
                    return criteria.map {
                        "\($0["key"]?.text ?? "") \($0["op"]?.text ?? "") \($0["value"]?.text ?? "")"
                    }
                    .joined(separator: " and ")
                },
            ]),
        Resource(
            name: "rules", path: "/v1/rules", key: "id",
            columns: [
                .init("ID", "id"), .init("FROM", "from"), .init("TO", "to"), .init("PORTS", "ports"),
                .init("APPS", "applications"), .init("ACTION", "action"), .init("LEARNED", "learned"),
                .init("ENABLED", "enabled"), .init("HITS", "hits"),
            ]),
        Resource(
            name: "response-rules", path: "/v1/response-rules", key: "id",
            columns: [
                .init("ID", "id"), .init("EVENT", "event_kind"),
                .init("CONDITIONS") { rule in
                    guard case .array(let conditions)? = rule["conditions"], !conditions.isEmpty else { return "-" }
                    return conditions.map {
                        "\($0["key"]?.text ?? "") \($0["op"]?.text ?? "") \($0["value"]?.text ?? "")"
                    }
                    .joined(separator: " and ")
                },
                .init("ACTIONS", "actions"), .init("ENABLED", "enabled"),
            ]),
        Resource(
            name: "users", path: "/v1/users", key: "name",
            columns: [
                .init("NAME", "name"), .init("ROLE", "role"), .init("DISABLED", "disabled"),
                .init("CREATED", "created_at"),
            ]),
        Resource(
            name: "api-keys", path: "/v1/api-keys", key: "id",
            columns: [
                .init("ID", "id"), .init("NAME", "name"), .init("ROLE", "role"), .init("EXPIRES", "expires_at"),
                .init("LAST-USED", "last_used_at"), .init("REVOKED", "revoked_at"),
            ]),
        Resource(
            name: "enforcers", path: "/v1/enforcers", key: "id",
            columns: [
                .init("ID", "id"), .init("HOSTNAME", "hostname"), .init("STATE", "state"), .init("VERSION", "version"),
                .init("REVISION", "applied_revision"), .init("LAG", "revision_lag"), .init("LAST-SEEN", "last_seen_at"),
            ], creatable: false),
        Resource(
            name: "enforcer-tokens", path: "/v1/enforcer-tokens", key: "id",
            columns: [
                .init("ID", "id"), .init("CREATED-BY", "created_by"), .init("EXPIRES", "expires_at"),
                .init("USES", "uses"), .init("MAX-USES", "max_uses"), .init("REVOKED", "revoked_at"),
            ]),
        Resource(
            name: "hosts", path: "/v1/hosts", key: "id",
            columns: [
                .init("ID", "id"), .init("NAME", "name"), .init("WORKLOADS", "workload_count"),
                .init("LAST-SEEN", "last_seen_at"),
            ],
            creatable: false),
        Resource(
            name: "workloads", path: "/v1/workloads", key: "id",
            columns: [
                .init("ID", "id"), .init("NAME", "name"), .init("NAMESPACE", "namespace"), .init("HOST", "host_id"),
                .init("GROUPS", "groups"), .init("MODE", "policy_mode"),
            ], creatable: false),
        Resource(
            name: "events", path: "/v1/events", key: "id",
            columns: [
                .init("TIME", "occurred_at"), .init("SEVERITY", "severity"), .init("KIND", "kind"),
                .init("WORKLOAD", "workload_id"), .init("GROUP", "group"), .init("SUMMARY", "summary"),
            ], creatable: false),
        Resource(
            name: "audit", path: "/v1/audit", key: "id",
            columns: [
                .init("TIME", "occurred_at"), .init("ACTOR", "actor"), .init("METHOD", "method"), .init("PATH", "path"),
                .init("STATUS", "status"), .init("OUTCOME", "outcome"),
            ], creatable: false),
    ]

    /// Accepts the plural, the singular and a few short forms (`group`, `rule`, `token`).
    static func named(_ word: String) throws(Failure) -> Resource {
        let aliases = [
            "group": "groups", "rule": "rules", "response-rule": "response-rules", "user": "users",
            "api-key": "api-keys", "key": "api-keys", "enforcer": "enforcers", "enforcer-token": "enforcer-tokens",
            "token": "enforcer-tokens", "host": "hosts", "workload": "workloads", "event": "events",
        ]
        let name = aliases[word] ?? word
        guard let resource = all.first(where: { $0.name == name }) else {
            throw .usage("unknown resource '\(word)'; one of: \(all.map(\.name).joined(separator: ", "))")
        }
        return resource
    }

    /// The path of one item, its key percent-encoded.
    func path(of key: String) -> String {
        path + "/" + (key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? key)
    }
}

/// Plain aligned columns, as kubectl prints them.
enum Table {
    static func render(_ items: [JSONValue], columns: [Resource.Column]) -> String {
        let rows = [columns.map(\.header)] + items.map { item in columns.map { String($0.value(item).prefix(80)) } }
        var widths = [Int](repeating: 0, count: columns.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }
}

import Domain
import Foundation
import HTTP
import Storage

/// Policy as code: the whole policy as one document out, and in again all-or-nothing.
enum PolicyRoutes {
    struct ImportResult: Encodable {
        let dryRun: Bool
        let applied: Bool
        let revision: Int64
        let diff: PolicyDiff

        enum CodingKeys: String, CodingKey {
            case applied, revision, diff
            case dryRun = "dry_run"
        }
    }

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/policy/export", .role(.reader), "Export the policy as one versioned document",
                tag: "Policy as code",
                query: [
                    QueryParameter(
                        "group", Components.groupName,
                        "Only this group, the groups its rules name, its rules, profile and response rules (for review)."
                    )
                ], response: .ref("PolicyDocument")
            ) { request in
                let group = request.query("group")
                let document = try await request.context.pool.withConnection { connection in
                    try await export(connection, group: group)
                }
                return try .resource(document)
            },
            Endpoint(
                "POST", "/v1/policy/import", .role(.operator),
                "Replace the whole policy with a document (dry_run=true: only report the diff)", tag: "Policy as code",
                query: [QueryParameter("dry_run", .boolean, "Report what would change; change nothing.")],
                body: .ref("PolicyDocument"), bodyLimit: 8 << 20, response: .ref("ImportResult"), handler: importPolicy),
        ]
    }

    static func export(_ connection: PostgresConnection, group: String? = nil) async throws -> PolicyDocument {
        var document = PolicyDocument(
            groups: try await GroupStore.all(connection), rules: try await RuleStore.all(connection),
            processProfiles: try await ProfileStore.all(connection),
            responseRules: try await ResponseRuleStore.all(connection))
        guard let group else { return document }
        guard document.groups.contains(where: { $0.name == group }) else {
            throw HTTPError.notFound("No group '\(group)'.")
        }
        document.scope = group
        document.rules = document.rules.filter { $0.from == group || $0.to == group }
        let named = Set(document.rules.flatMap { [$0.from, $0.to] } + [group])
        document.groups = document.groups.filter { named.contains($0.name) }
        document.processProfiles = document.processProfiles.filter { $0.group == group }
        document.responseRules = document.responseRules.filter { rule in
            rule.conditions.contains { $0.key == .group && $0.op == .eq && $0.value == group }
        }
        return document
    }

    static func importPolicy(_ request: APIRequest) async throws -> Response {
        let dryRun = request.queryBool("dry_run") ?? false
        let incoming: PolicyDocument
        do { incoming = try request.decodeBody(PolicyDocument.self).validated() } catch let error as ValidationError {
            throw HTTPError.invalid(error)
        }
        let result = try await request.context.pool.withTransaction { connection in
            try await PolicyRevision.lock(connection)
            let current = try await export(connection)
            let diff = PolicyDiff(from: current, to: incoming)
            guard !dryRun, !diff.isEmpty else {
                return ImportResult(
                    dryRun: dryRun, applied: false, revision: try await PolicyRevision.current(connection), diff: diff)
            }
            try await apply(incoming, replacing: current, connection)
            return ImportResult(
                dryRun: false, applied: true, revision: try await PolicyRevision.bump(connection), diff: diff)
        }
        return try .json(result)
    }

    /// Replaces everything in one transaction: references first out, groups, then references in.
    private static func apply(
        _ document: PolicyDocument, replacing current: PolicyDocument, _ connection: PostgresConnection
    )
        async throws
    {
        _ = try await connection.query("DELETE FROM network_rules")
        _ = try await connection.query("DELETE FROM response_rules")
        _ = try await connection.query("DELETE FROM process_profiles")
        let kept = Set(document.groups.map(\.name))
        for group in current.groups where !kept.contains(group.name) {
            _ = try await connection.query("DELETE FROM groups WHERE name = \(group.name)")
        }
        let existing = Set(current.groups.map(\.name))
        for group in document.groups {
            if existing.contains(group.name) {
                try await GroupStore.update(group.name, to: group, connection)
            } else {
                try await GroupStore.insert(group, connection)
            }
        }
        try await RuleStore.replaceAll(with: document.rules, connection)
        for profile in document.processProfiles {
            try await ProfileStore.replace(profile.group, with: profile.items, connection)
        }
        try await ResponseRuleStore.replaceAll(with: document.responseRules, connection)
        try await GroupStore.recomputeMembers(of: document.groups, connection)
    }
}

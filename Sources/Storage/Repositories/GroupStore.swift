import Domain
import Foundation
import HTTP

/// Groups in SQL, and their computed members. Every function takes the connection of the
/// caller's transaction, so a change and its revision bump commit together.
public enum GroupStore {
    public static let columns = "name, to_json(criteria)::text AS criteria, policy_mode, learned, comment"

    public static func decode(_ row: PostgresRow) throws -> Group {
        Group(
            name: try row.decode(String.self, "name"), criteria: try row.decodeJSON([Criterion].self, "criteria"),
            policyMode: PolicyMode(rawValue: try row.decode(String.self, "policy_mode")) ?? .discover,
            learned: try row.decode(Bool.self, "learned"), comment: try row.decode(String?.self, "comment"))
    }

    public static func fetch(_ name: String, _ connection: PostgresConnection, forUpdate: Bool = false) async throws
        -> Group?
    {
        try await connection.query(
            "SELECT \(unsafeRaw: columns) FROM groups WHERE name = \(name) \(unsafeRaw: forUpdate ? "FOR UPDATE" : "")"
        ).first.map(decode)
    }

    public static func all(_ connection: PostgresConnection) async throws -> [Group] {
        try await connection.query("SELECT \(unsafeRaw: columns) FROM groups ORDER BY name").map(decode)
    }

    public static func insert(_ group: Group, _ connection: PostgresConnection) async throws {
        _ = try await connection.query(
            """
            INSERT INTO groups (name, criteria, policy_mode, learned, comment)
            VALUES (\(group.name), \(try SQLJSON.text(group.criteria))::jsonb, \(group.policyMode.rawValue),
                    \(group.learned), \(group.comment))
            """)
    }

    /// Replaces the group called `name` (which may rename it; references follow the rename).
    public static func update(_ name: String, to group: Group, _ connection: PostgresConnection) async throws {
        _ = try await connection.query(
            """
            UPDATE groups SET name = \(group.name), criteria = \(try SQLJSON.text(group.criteria))::jsonb,
                policy_mode = \(group.policyMode.rawValue), learned = \(group.learned), comment = \(group.comment),
                updated_at = now()
            WHERE name = \(name)
            """)
    }

    /// Names among `names` that no group has.
    public static func missing(_ names: Set<String>, _ connection: PostgresConnection) async throws -> Set<String> {
        let found = try await connection.query(
            "SELECT name FROM groups WHERE name IN (SELECT jsonb_array_elements_text(\(try SQLJSON.text(Array(names)))::jsonb))"
        ).map { try $0.decode(String.self, "name") }
        return names.subtracting(found)
    }

    /// Recomputes the members of `groups` from the current workloads.
    public static func recomputeMembers(of groups: [Group], _ connection: PostgresConnection) async throws {
        guard !groups.isEmpty else { return }
        let workloads = try await WorkloadStore.facts(connection)
        for group in groups {
            let members = workloads.filter(group.matches).map(\.id)
            _ = try await connection.query("DELETE FROM group_members WHERE group_name = \(group.name)")
            guard !members.isEmpty else { continue }
            _ = try await connection.query(
                """
                INSERT INTO group_members (group_name, workload_id)
                SELECT \(group.name), jsonb_array_elements_text(\(try SQLJSON.text(members))::jsonb)
                """)
        }
    }

    /// Group name → member workload ids, for every group with members.
    public static func memberships(_ connection: PostgresConnection) async throws -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for row in try await connection.query("SELECT group_name, workload_id FROM group_members") {
            result[try row.decode(String.self, "group_name"), default: []].insert(
                try row.decode(String.self, "workload_id"))
        }
        return result
    }

    /// Recomputes which groups the given workloads belong to (their rows only), for when a
    /// node reports its inventory. Returns workload id → sorted group names.
    @discardableResult
    public static func recomputeMemberships(
        of workloads: [WorkloadFacts], groups: [Group], _ connection: PostgresConnection
    ) async throws -> [String: [String]] {
        let ids = workloads.map(\.id)
        guard !ids.isEmpty else { return [:] }
        _ = try await connection.query(
            """
            DELETE FROM group_members
            WHERE workload_id IN (SELECT jsonb_array_elements_text(\(try SQLJSON.text(ids))::jsonb))
            """)
        var pairs: [[String]] = []
        var result: [String: [String]] = [:]
        for workload in workloads {
            let names = groups.filter { $0.matches(workload) }.map(\.name).sorted()
            result[workload.id] = names
            pairs += names.map { [$0, workload.id] }
        }
        if !pairs.isEmpty {
            _ = try await connection.query(
                """
                INSERT INTO group_members (group_name, workload_id)
                SELECT p->>0, p->>1 FROM jsonb_array_elements(\(try SQLJSON.text(pairs))::jsonb) AS p
                """)
        }
        return result
    }
}

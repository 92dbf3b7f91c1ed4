import Domain

/// Process profiles: the processes each group's workloads may run.
public enum ProfileStore {
    public static func entries(of group: String, _ connection: PostgresConnection) async throws -> [ProcessRule] {
        try await connection.query(
            """
            SELECT name, path, "user", action, learned FROM process_profiles WHERE group_name = \(group)
            ORDER BY name, path, "user"
            """
        ).map(decode)
    }

    public static func all(_ connection: PostgresConnection) async throws -> [PolicyDocument.ProcessProfile] {
        let rows = try await connection.query(
            """
            SELECT group_name, name, path, "user", action, learned FROM process_profiles
            ORDER BY group_name, name, path, "user"
            """)
        var profiles: [PolicyDocument.ProcessProfile] = []
        for row in rows {
            let group = try row.decode(String.self, "group_name")
            if profiles.last?.group != group { profiles.append(.init(group: group, items: [])) }
            profiles[profiles.count - 1].items.append(try decode(row))
        }
        return profiles
    }

    public static func replace(_ group: String, with entries: [ProcessRule], _ connection: PostgresConnection)
        async throws
    {
        _ = try await connection.query("DELETE FROM process_profiles WHERE group_name = \(group)")
        guard !entries.isEmpty else { return }
        _ = try await connection.query(
            """
            INSERT INTO process_profiles (group_name, name, path, "user", action, learned)
            SELECT \(group), e->>'name', e->>'path', e->>'user', e->>'action', (e->>'learned')::boolean
            FROM jsonb_array_elements(\(try SQLJSON.text(entries))::jsonb) AS e
            """)
    }

    private static func decode(_ row: PostgresRow) throws -> ProcessRule {
        ProcessRule(
            name: try row.decode(String.self, "name"), path: try row.decode(String.self, "path"),
            user: try row.decode(String.self, "user"),
            action: RuleAction(rawValue: try row.decode(String.self, "action")) ?? .allow,
            learned: try row.decode(Bool.self, "learned"))
    }
}

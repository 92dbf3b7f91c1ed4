import Domain
import Foundation
import HTTP

/// Response rules in SQL, in evaluation order.
public enum ResponseRuleStore {
    public struct Stored: Encodable, Sendable {
        public let id: Int64
        public let spec: ResponseRuleSpec

        enum CodingKeys: String, CodingKey { case id }

        public func encode(to encoder: any Encoder) throws {
            try spec.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
        }
    }

    public static let columns = """
        id, position::text AS sort_position, event_kind, conditions::text AS conditions,
        to_json(actions)::text AS actions, enabled, comment
        """

    public static func decode(_ row: PostgresRow) throws -> Stored {
        Stored(
            id: try row.decode(Int64.self, "id"),
            spec: ResponseRuleSpec(
                eventKind: EventKind(rawValue: try row.decode(String.self, "event_kind")) ?? .system,
                conditions: try row.decodeJSON([ResponseRuleSpec.Condition].self, "conditions"),
                actions: try row.decodeJSON([ResponseRuleSpec.Action].self, "actions"),
                enabled: try row.decode(Bool.self, "enabled"), comment: try row.decode(String?.self, "comment")))
    }

    public static func fetch(_ id: Int64, _ connection: PostgresConnection, forUpdate: Bool = false) async throws
        -> Stored
    {
        guard
            let row = try await connection.query(
                "SELECT \(unsafeRaw: columns) FROM response_rules WHERE id = \(id) \(unsafeRaw: forUpdate ? "FOR UPDATE" : "")"
            ).first
        else { throw HTTPError.notFound("No response rule \(id).") }
        return try decode(row)
    }

    public static func all(_ connection: PostgresConnection) async throws -> [ResponseRuleSpec] {
        try await connection.query("SELECT \(unsafeRaw: columns) FROM response_rules ORDER BY position").map {
            try decode($0).spec
        }
    }

    public static func insert(_ rule: ResponseRuleSpec, _ connection: PostgresConnection) async throws -> Int64 {
        try await connection.query(
            """
            INSERT INTO response_rules (position, event_kind, conditions, actions, enabled, comment)
            SELECT coalesce(max(position), 0) + 1024, \(rule.eventKind.rawValue),
                   \(try SQLJSON.text(rule.conditions))::jsonb,
                   ARRAY(SELECT jsonb_array_elements_text(\(try SQLJSON.text(rule.actions))::jsonb)),
                   \(rule.enabled), \(rule.comment)
            FROM response_rules
            RETURNING id
            """
        ).first!.decode(Int64.self, "id")
    }

    public static func update(_ id: Int64, to rule: ResponseRuleSpec, _ connection: PostgresConnection) async throws {
        _ = try await connection.query(
            """
            UPDATE response_rules SET event_kind = \(rule.eventKind.rawValue),
                conditions = \(try SQLJSON.text(rule.conditions))::jsonb,
                actions = ARRAY(SELECT jsonb_array_elements_text(\(try SQLJSON.text(rule.actions))::jsonb)),
                enabled = \(rule.enabled), comment = \(rule.comment), updated_at = now()
            WHERE id = \(id)
            """)
    }

    public static func replaceAll(with rules: [ResponseRuleSpec], _ connection: PostgresConnection) async throws {
        _ = try await connection.query("DELETE FROM response_rules")
        for rule in rules { _ = try await insert(rule, connection) }
    }
}

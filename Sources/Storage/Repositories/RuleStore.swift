import Domain
import Foundation
import HTTP

/// Network rules in SQL, kept in order by a `position` number. New rules get a position between
/// their neighbours; when a gap runs out, positions are renumbered. Callers hold the policy
/// lock (`PolicyRevision.lock`) while they place rules.
public enum RuleStore {
    public struct Stored: Encodable, Sendable {
        public let id: Int64
        public let spec: RuleSpec
        public let hits: Int64
        public let lastHitAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, hits
            case lastHitAt = "last_hit_at"
        }

        public func encode(to encoder: any Encoder) throws {
            try spec.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(hits, forKey: .hits)
            try container.encode(lastHitAt, forKey: .lastHitAt)
        }
    }

    public static let columns = """
        id, position::text AS sort_position, from_group, to_group, to_json(ports)::text AS ports,
        to_json(applications)::text AS applications, action, learned, enabled, comment, hits, last_hit_at
        """
    public static let gap = 1024.0

    public static func decode(_ row: PostgresRow) throws -> Stored {
        Stored(
            id: try row.decode(Int64.self, "id"),
            spec: RuleSpec(
                from: try row.decode(String.self, "from_group"), to: try row.decode(String.self, "to_group"),
                ports: try row.decodeJSON([String].self, "ports"),
                applications: try row.decodeJSON([String].self, "applications"),
                action: RuleAction(rawValue: try row.decode(String.self, "action")) ?? .deny,
                learned: try row.decode(Bool.self, "learned"), enabled: try row.decode(Bool.self, "enabled"),
                comment: try row.decode(String?.self, "comment")),
            hits: try row.decode(Int64.self, "hits"), lastHitAt: try row.decode(Date?.self, "last_hit_at"))
    }

    public static func fetch(_ id: Int64, _ connection: PostgresConnection, forUpdate: Bool = false) async throws
        -> Stored
    {
        guard
            let row = try await connection.query(
                "SELECT \(unsafeRaw: columns) FROM network_rules WHERE id = \(id) \(unsafeRaw: forUpdate ? "FOR UPDATE" : "")"
            ).first
        else { throw HTTPError.notFound("No rule \(id).") }
        return try decode(row)
    }

    /// Every rule with its id, in evaluation order.
    public static func allStored(_ connection: PostgresConnection) async throws -> [Stored] {
        try await connection.query("SELECT \(unsafeRaw: columns) FROM network_rules ORDER BY position").map(decode)
    }

    public static func all(_ connection: PostgresConnection) async throws -> [RuleSpec] {
        try await connection.query("SELECT \(unsafeRaw: columns) FROM network_rules ORDER BY position").map {
            try decode($0).spec
        }
    }

    /// Checks the rule and that both of its groups exist.
    public static func validate(_ spec: RuleSpec, _ connection: PostgresConnection) async throws -> RuleSpec {
        let rule: RuleSpec
        rule = try spec.validated()
        let missing = try await GroupStore.missing([rule.from, rule.to], connection)
        for (field, name) in [("from", rule.from), ("to", rule.to)] where missing.contains(name) {
            throw ValidationError(field: field, problem: "names unknown group '\(name)'")
        }
        return rule
    }

    /// Checks many rules at once (one query for all their groups); `field` prefixes problems.
    public static func validate(_ specs: [RuleSpec], field: String, _ connection: PostgresConnection) async throws
        -> [RuleSpec]
    {
        var rules: [RuleSpec] = []
        for (index, spec) in specs.enumerated() {
            do { rules.append(try spec.validated()) } catch {
                throw error.nested(under: "\(field)[\(index)]")
            }
        }
        let missing = try await GroupStore.missing(Set(rules.flatMap { [$0.from, $0.to] }), connection)
        for (index, rule) in rules.enumerated() {
            for (name, group) in [("from", rule.from), ("to", rule.to)] where missing.contains(group) {
                throw ValidationError(field: "\(field)[\(index)].\(name)", problem: "names unknown group '\(group)'")
            }
        }
        return rules
    }

    /// Replaces every rule with `rules`, in order, in one statement.
    public static func replaceAll(with rules: [RuleSpec], _ connection: PostgresConnection) async throws {
        _ = try await connection.query("DELETE FROM network_rules")
        _ = try await connection.query(
            """
            INSERT INTO network_rules (position, from_group, to_group, ports, applications, action, learned, enabled, comment)
            SELECT t.o * \(gap)::float8, t.r->>'from', t.r->>'to',
                   ARRAY(SELECT jsonb_array_elements_text(t.r->'ports')),
                   ARRAY(SELECT jsonb_array_elements_text(t.r->'applications')),
                   t.r->>'action', (t.r->>'learned')::boolean, (t.r->>'enabled')::boolean, t.r->>'comment'
            FROM jsonb_array_elements(\(try SQLJSON.text(rules))::jsonb) WITH ORDINALITY AS t(r, o)
            """)
    }

    public static func insert(_ rule: RuleSpec, at position: Double, _ connection: PostgresConnection) async throws
        -> Int64
    {
        try await connection.query(
            """
            INSERT INTO network_rules (position, from_group, to_group, ports, applications, action, learned, enabled, comment)
            VALUES (\(position), \(rule.from), \(rule.to),
                    ARRAY(SELECT jsonb_array_elements_text(\(try SQLJSON.text(rule.ports))::jsonb)),
                    ARRAY(SELECT jsonb_array_elements_text(\(try SQLJSON.text(rule.applications))::jsonb)),
                    \(rule.action.rawValue), \(rule.learned), \(rule.enabled), \(rule.comment))
            RETURNING id
            """
        ).first!.decode(Int64.self, "id")
    }

    public static func update(_ id: Int64, to rule: RuleSpec, _ connection: PostgresConnection) async throws {
        _ = try await connection.query(
            """
            UPDATE network_rules SET from_group = \(rule.from), to_group = \(rule.to),
                ports = ARRAY(SELECT jsonb_array_elements_text(\(try SQLJSON.text(rule.ports))::jsonb)),
                applications = ARRAY(SELECT jsonb_array_elements_text(\(try SQLJSON.text(rule.applications))::jsonb)),
                action = \(rule.action.rawValue), learned = \(rule.learned), enabled = \(rule.enabled),
                comment = \(rule.comment), updated_at = now()
            WHERE id = \(id)
            """)
    }

    public enum Placement: Equatable {
        case end
        case before(Int64)
        case after(Int64)
    }

    /// A free position for a rule placed as asked (renumbering first if the gap is used up).
    public static func position(for placement: Placement, _ connection: PostgresConnection) async throws -> Double {
        for _ in 0..<2 {
            if let position = try await freePosition(for: placement, connection) { return position }
            try await renumber(connection)
        }
        throw HTTPError.conflict("Could not place the rule; try again.")
    }

    private static func freePosition(for placement: Placement, _ connection: PostgresConnection) async throws -> Double?
    {
        func anchor(_ id: Int64) async throws -> Double {
            guard let row = try await connection.query("SELECT position FROM network_rules WHERE id = \(id)").first
            else {
                throw HTTPError.invalidField(placement == .before(id) ? "before" : "after", "names no rule \(id)")
            }
            return try row.decode(Double.self, "position")
        }
        switch placement {
        case .end:
            let last = try await connection.query("SELECT max(position) AS p FROM network_rules").first!
                .decode(Double?.self, "p")
            return (last ?? 0) + gap
        case .before(let id):
            let next = try await anchor(id)
            let previous = try await connection.query(
                "SELECT max(position) AS p FROM network_rules WHERE position < \(next)"
            ).first!.decode(Double?.self, "p")
            return between(previous ?? next - 2 * gap, next)
        case .after(let id):
            let previous = try await anchor(id)
            let next = try await connection.query(
                "SELECT min(position) AS p FROM network_rules WHERE position > \(previous)"
            ).first!.decode(Double?.self, "p")
            return between(previous, next ?? previous + 2 * gap)
        }
    }

    private static func between(_ low: Double, _ high: Double) -> Double? {
        let middle = low + (high - low) / 2
        return middle > low && middle < high ? middle : nil
    }

    /// Spreads positions out again, keeping the order (two steps: the index is unique).
    public static func renumber(_ connection: PostgresConnection) async throws {
        _ = try await connection.query(
            """
            UPDATE network_rules r SET position = -o.n FROM
                (SELECT id, row_number() OVER (ORDER BY position) AS n FROM network_rules) o
            WHERE r.id = o.id
            """)
        _ = try await connection.query("UPDATE network_rules SET position = -position * \(gap)")
    }
}

/// The policy revision: one counter, bumped in the same transaction as every policy change, and
/// announced with NOTIFY so enforcer streams (on any replica) recompute.
public enum PolicyRevision {
    public static let channel = "policy_changed"
    /// Serialises policy writers that reorder or replace many rows (positions, import).
    public static let lockKey = 7_236_110_935_431_003

    @discardableResult
    public static func bump(_ connection: PostgresConnection) async throws -> Int64 {
        let revision = try await connection.query(
            "UPDATE policy_revision SET revision = revision + 1, changed_at = now() RETURNING revision"
        ).first!.decode(Int64.self, "revision")
        _ = try await connection.query("SELECT pg_notify(\(channel), \(String(revision)))")
        return revision
    }

    public static func current(_ connection: PostgresConnection) async throws -> Int64 {
        try await connection.query("SELECT revision FROM policy_revision").first!.decode(Int64.self, "revision")
    }

    public static func lock(_ connection: PostgresConnection) async throws {
        _ = try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))")
    }
}

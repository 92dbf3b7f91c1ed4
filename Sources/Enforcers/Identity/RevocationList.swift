import Foundation
import Logging
import Storage
import Synchronization

/// Serials of client certificates that must no longer be accepted: those of revoked enforcers
/// and those retired by renewal. Read by the TLS verify callback on every handshake (so it is
/// an in-memory set), refreshed from PostgreSQL at start, on every NOTIFY and periodically.
public final class RevocationList: Sendable {
    private let serials = Mutex<Set<String>>([])

    public init() {}

    public func contains(_ serialHex: String) -> Bool { serials.withLock { $0.contains(serialHex) } }

    func insert(_ serialHex: String) { _ = serials.withLock { $0.insert(serialHex) } }

    /// Replaces the set with what the database says now.
    func reload(from pool: PostgresPool) async throws {
        let rows = try await pool.query(
            """
            SELECT certificate_serial AS serial FROM enforcers WHERE revoked_at IS NOT NULL
            UNION ALL SELECT serial FROM retired_certificates
            """)
        let fresh = Set(try rows.map { try $0.decode(String.self, "serial") })
        serials.withLock { $0 = fresh }
    }
}

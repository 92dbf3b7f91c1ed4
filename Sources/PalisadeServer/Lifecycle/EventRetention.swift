import Foundation
import Logging
import Storage

/// Keeps the day partitions of `events` in shape: creates the next week's ahead of time and
/// drops those older than the retention period. Runs at start and then hourly; an advisory
/// lock makes one replica do it while the others skip.
final class EventRetention: Sendable {
    static let lockKey = 7_236_110_935_431_003

    private let pool: PostgresPool
    private let retentionDays: Int
    private let logger: Logger
    private let task: Task<Void, Never>

    init(pool: PostgresPool, retentionDays: Int, logger: Logger) {
        self.pool = pool
        self.retentionDays = retentionDays
        self.logger = logger
        task = Task { [pool, retentionDays, logger] in
            while !Task.isCancelled {
                await Self.runOnce(pool: pool, retentionDays: retentionDays, logger: logger)
                try? await Task.sleep(for: .seconds(3600))
            }
        }
    }

    func stop() { task.cancel() }

    static func runOnce(pool: PostgresPool, retentionDays: Int, logger: Logger) async {
        do {
            try await pool.withTransaction { connection in
                guard
                    try await connection.query("SELECT pg_try_advisory_xact_lock(\(lockKey)) AS mine").first!
                        .decode(Bool.self, "mine")
                else { return }
                _ = try await connection.query("SELECT ensure_event_partitions(current_date - 1, current_date + 8)")
                let dropped = try await connection.query("SELECT drop_old_event_partitions(\(retentionDays)) AS n")
                    .first!.decode(Int.self, "n")
                if dropped > 0 {
                    logger.notice(
                        "dropped old event partitions", ["count": "\(dropped)", "retention.days": "\(retentionDays)"])
                }
            }
        } catch {
            logger.warning("event partition maintenance failed", ["db.error": "\(error)"])
        }
    }
}

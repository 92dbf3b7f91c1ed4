import Domain
import Foundation
import HTTP
import Storage

/// Stores one report batch in one transaction: the batch marker (so a repeat is recognised),
/// conversations folded per (source, destination, port, protocol, application), rule hit counts,
/// events through COPY, and what learning makes of it. Only after COMMIT does the enforcer get
/// its answer, so an acknowledged batch survives any crash.
enum ReportIngest {
    static let maximumBatch = 10_000

    struct Answer: Encodable {
        let sequence: Int64
        let accepted: Int
        let duplicate: Bool
    }

    static func ingest(_ batch: ReportRoute.Batch, from identity: EnforcerIdentity, channel: EnforcerChannel, now: Date)
        async throws -> Answer
    {
        let entry = try await channel.snapshots.entry()
        let plan = IngestPlan(batch.reports, snapshot: entry.snapshot, identity: identity, now: now)
        let learning = Learning.observe(plan, snapshot: entry.snapshot)
        let stored = try await retryingConflicts {
            try await channel.pool.withTransaction { connection -> Bool in
                let fresh = try await connection.query(
                    """
                    INSERT INTO report_batches (enforcer_id, sequence, report_count)
                    VALUES (\(identity.id), \(batch.sequence), \(batch.reports.count))
                    ON CONFLICT (enforcer_id, sequence) DO NOTHING RETURNING sequence
                    """)
                guard !fresh.isEmpty else { return false }
                try await storeConversations(plan.conversations, connection)
                try await storeRuleHits(plan.ruleHits, connection)
                try await storeEvents(plan.events + learning.events, connection)
                return true
            }
        }
        // Learning is derived from what was just committed; it takes the policy lock in a
        // transaction of its own so report ingest never waits on (or deadlocks with) policy writes.
        if stored && learning.hasPolicy {
            do {
                try await retryingConflicts {
                    try await channel.pool.withTransaction { connection in
                        if try await Learning.persist(learning, connection) {
                            try await PolicyRevision.bump(connection)
                        }
                    }
                }
            } catch {
                channel.logger.error("learning from a report batch failed", ["error": "\(error)"])
            }
        }
        return Answer(sequence: batch.sequence, accepted: batch.reports.count, duplicate: !stored)
    }

    /// Runs `body` again (up to three times) when PostgreSQL reports a deadlock or a
    /// serialization failure; its transaction was rolled back, so a retry is safe.
    static func retryingConflicts<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let error as PostgresError
                where attempt < 2 && (error.sqlState == "40P01" || error.sqlState == "40001")
            {
                attempt += 1
                try await Task.sleep(for: .milliseconds(10 * attempt))
            }
        }
    }

    private static func storeConversations(_ conversations: [IngestPlan.Conversation], _ connection: PostgresConnection)
        async throws
    {
        guard !conversations.isEmpty else { return }
        // One order for every batch, so concurrent batches lock shared rows in the same order.
        let conversations = conversations.sorted {
            ($0.source, $0.destination, $0.port, $0.protocol, $0.application)
                < ($1.source, $1.destination, $1.port, $1.protocol, $1.application)
        }
        // COPY into a per-connection staging table, then one upsert: far cheaper than
        // sending the rows as a JSON parameter for PostgreSQL to take apart.
        _ = try await connection.simpleQuery(
            unsafeSQL: """
                CREATE TEMP TABLE IF NOT EXISTS incoming_conversations (
                    source_id text, destination_id text, port integer, protocol text, application text,
                    bytes bigint, sessions bigint, last_action text, last_rule_id bigint, seen timestamptz
                ) ON COMMIT DELETE ROWS
                """)
        var text = PostgresCopyText(reservingCapacity: conversations.count * 96)
        for conversation in conversations {
            text.append(conversation.source)
            text.append(conversation.destination)
            text.append(conversation.port)
            text.append(conversation.protocol)
            text.append(conversation.application)
            text.append(conversation.bytes)
            text.append(conversation.sessions)
            text.append(conversation.action)
            text.append(conversation.rule.map(String.init))
            text.append(conversation.seen)
            text.endRow()
        }
        _ = try await connection.copyIn(unsafeSQL: "COPY incoming_conversations FROM STDIN") { writer in
            try await writer.write(text.bytes)
        }
        _ = try await connection.query(
            """
            INSERT INTO conversations (source_id, destination_id, port, protocol, application, bytes, sessions,
                                       last_action, last_rule_id, first_seen_at, last_seen_at)
            SELECT source_id, destination_id, port, protocol, application, bytes, sessions, last_action, last_rule_id,
                   seen, seen
            FROM incoming_conversations ORDER BY source_id, destination_id, port, protocol, application
            ON CONFLICT (source_id, destination_id, port, protocol, application) DO UPDATE SET
                bytes = conversations.bytes + EXCLUDED.bytes, sessions = conversations.sessions + EXCLUDED.sessions,
                last_action = EXCLUDED.last_action,
                last_rule_id = coalesce(EXCLUDED.last_rule_id, conversations.last_rule_id),
                last_seen_at = greatest(conversations.last_seen_at, EXCLUDED.last_seen_at)
            """)
    }

    private static func storeRuleHits(_ hits: [Int64: (count: Int64, last: Date)], _ connection: PostgresConnection)
        async throws
    {
        guard !hits.isEmpty else { return }
        let rows = hits.sorted { $0.key < $1.key }.map {
            [String($0.key), String($0.value.count), Timestamp.formatPrecise($0.value.last)]
        }
        _ = try await connection.query(
            """
            UPDATE network_rules r SET hits = r.hits + (h->>1)::bigint,
                last_hit_at = greatest(r.last_hit_at, (h->>2)::timestamptz)
            FROM jsonb_array_elements(\(try SQLJSON.text(rows))::jsonb) AS h
            WHERE r.id = (h->>0)::bigint
            """)
    }

    /// Events go in through COPY: one round trip however many there are.
    private static func storeEvents(_ events: [IngestPlan.Event], _ connection: PostgresConnection) async throws {
        guard !events.isEmpty else { return }
        var text = PostgresCopyText(reservingCapacity: events.count * 256)
        for event in events {
            text.append(Timestamp.formatPrecise(event.occurredAt))
            text.append(event.kind.rawValue)
            text.append(event.severity.rawValue)
            text.append(event.enforcer)
            text.append(event.host)
            text.append(event.workload)
            text.append(event.group)
            text.append(event.peer)
            text.append(event.action)
            text.append(event.summary)
            text.append(String(decoding: try JSONCoding.encode(event.detail), as: UTF8.self))
            text.endRow()
        }
        _ = try await connection.copyIn(
            unsafeSQL: """
                COPY events (occurred_at, kind, severity, enforcer_id, host_id, workload_id, group_name, peer, action,
                             summary, detail) FROM STDIN
                """
        ) { writer in try await writer.write(text.bytes) }
    }
}

import Foundation
import HTTP
import Storage
import Testing

@Suite("Pipeline mode and LISTEN/NOTIFY")
struct PipelineAndListenTests {
    @Test("a pipelined batch answers every statement in order")
    func pipeline() async throws {
        try await withPool { pool, _, _ in
            _ = try await pool.query("CREATE TABLE t (n int)")
            let results = try await pool.withConnection { connection in
                try await connection.pipeline(
                    (0..<200).map { "INSERT INTO t VALUES (\($0))" } + ["SELECT sum(n) AS s FROM t"])
            }
            #expect(results.count == 201)
            #expect(results.prefix(200).allSatisfy { $0.affectedRows == 1 })
            #expect(try results.last!.first!.decode(Int.self, "s") == (0..<200).reduce(0, +))
        }
    }

    @Test("a failing statement makes the whole batch fail and leaves nothing behind")
    func pipelineAtomic() async throws {
        try await withPool(connectionsPerLoop: 1) { pool, _, _ in
            _ = try await pool.query("CREATE TABLE t (n int PRIMARY KEY)")
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in
                    try await connection.pipeline([
                        "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)",
                    ])
                }
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM t").first!.decode(Int.self, "n") == 0)
        }
    }

    @Test("NOTIFY reaches a listener, also after its connection was killed")
    func listen() async throws {
        try await withPool { pool, database, group in
            let listener = PostgresListener(
                connectionInfo: database.connectionInfo, loop: group.loops[0], logger: quietLogger)
            defer { listener.stop() }
            let stream = listener.notifications(channel: "policy_changed")
            var iterator = stream.makeAsyncIterator()
            let first = try await notifyUntilHeard("rev-1", pool: pool, listener: listener, iterator: &iterator)
            #expect(first == "rev-1")
            _ = try await pool.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()"
            )
            let second = try await notifyUntilHeard("rev-2", pool: pool, listener: listener, iterator: &iterator)
            #expect(second == "rev-2")
        }
    }

    /// NOTIFYs `payload` every 200 ms until the listener hears it (it may be reconnecting), for
    /// at most 10 seconds; then stops the listener, which ends the stream, so nothing hangs.
    private func notifyUntilHeard(
        _ payload: String, pool: PostgresPool, listener: PostgresListener,
        iterator: inout AsyncStream<String>.Iterator
    ) async throws -> String? {
        let sender = Task {
            for _ in 0..<50 {
                _ = try? await pool.query("SELECT pg_notify('policy_changed', \(payload))")
                try await Task.sleep(for: .milliseconds(200))
            }
            listener.stop()
        }
        defer { sender.cancel() }
        while let heard = await iterator.next() {
            if heard == payload { return heard }
        }
        return nil
    }
}

import Foundation
import Storage
import Testing

@Suite("Migrations and retention")
struct MigrationTests {
    static let repositoryMigrations: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Migrations").path
    }()

    @Test("applying twice is a no-op, and the schema has what the design names")
    func idempotent() async throws {
        try await withPool { pool, _, _ in
            let runner = try MigrationRunner(directory: Self.repositoryMigrations)
            let first = try await runner.apply(using: pool, logger: quietLogger)
            #expect(first == runner.migrations.map(\.name))
            #expect(try await runner.apply(using: pool, logger: quietLogger).isEmpty)
            #expect(try await runner.isCurrent(using: pool))
            let tables = try await pool.query(
                "SELECT string_agg(tablename, ',' ORDER BY tablename) AS t FROM pg_tables WHERE schemaname = 'public'"
            ).first!.decode(String.self, "t").split(separator: ",").map(String.init)
            for table in [
                "users", "sessions", "api_keys", "audit_log", "groups", "network_rules", "process_profiles",
                "response_rules", "hosts", "enforcers", "enforcer_join_tokens", "workloads", "policy_revision",
                "events", "conversations", "report_batches", "integration_outbox", "schema_migrations",
            ] {
                #expect(tables.contains(table), "missing table \(table)")
            }
        }
    }

    @Test("a migration changed after it was applied is refused with a clear error")
    func modified() async throws {
        try await withPool { pool, _, _ in
            let original = MigrationRunner.Migration(name: "0001_test.sql", sql: "CREATE TABLE a (n int);")
            try await MigrationRunner(migrations: [original]).apply(using: pool, logger: quietLogger)
            let edited = MigrationRunner.Migration(name: "0001_test.sql", sql: "CREATE TABLE a (n bigint);")
            do {
                try await MigrationRunner(migrations: [edited]).apply(using: pool, logger: quietLogger)
                Issue.record("an edited migration was accepted")
            } catch let error as PostgresError {
                #expect(error.code == .migration)
                #expect(error.debugDescription.contains("0001_test.sql was changed after it was applied"))
            }
        }
    }

    @Test("a failing migration leaves nothing behind")
    func atomic() async throws {
        try await withPool { pool, _, _ in
            let broken = MigrationRunner.Migration(name: "0001_broken.sql", sql: "CREATE TABLE b (n int); SELEC 1;")
            await #expect(throws: PostgresError.self) {
                try await MigrationRunner(migrations: [broken]).apply(using: pool, logger: quietLogger)
            }
            let exists = try await pool.query("SELECT to_regclass('b') IS NOT NULL AS e").first!.decode(Bool.self, "e")
            #expect(!exists)
            #expect(
                try await pool.query("SELECT count(*) AS n FROM schema_migrations").first!.decode(Int.self, "n") == 0)
        }
    }

    @Test("runners racing on one database apply each migration exactly once")
    func concurrent() async throws {
        try await withPool(loops: 2, connectionsPerLoop: 4) { pool, _, _ in
            let runner = try MigrationRunner(directory: Self.repositoryMigrations)
            let results = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 { group.addTask { try await runner.apply(using: pool, logger: quietLogger) } }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            #expect(results.flatMap { $0 }.sorted() == runner.migrations.map(\.name))
            #expect(
                try await pool.query("SELECT count(*) AS n FROM schema_migrations").first!.decode(Int.self, "n")
                    == runner.migrations.count)
        }
    }

    @Test("retention drops day partitions older than the configured days and nothing newer")
    func retention() async throws {
        try await withPool { pool, _, _ in
            try await MigrationRunner(directory: Self.repositoryMigrations).apply(using: pool, logger: quietLogger)
            _ = try await pool.query("SELECT ensure_event_partitions(current_date - 10, current_date + 1)")
            for daysAgo in [9, 5, 4, 3, 0] {
                _ = try await pool.query(
                    """
                    INSERT INTO events (occurred_at, kind, severity, summary)
                    VALUES (now() - make_interval(days => \(daysAgo)), 'threat', 'high', \("\(daysAgo) days ago"))
                    """)
            }
            let dropped = try await pool.query("SELECT drop_old_event_partitions(4) AS n").first!.decode(Int.self, "n")
            // The partitions of days 10 through 5 before today (6), at least 5 whatever the hour.
            #expect(dropped >= 5)
            let left = try await pool.query("SELECT array_agg(summary ORDER BY occurred_at)::text AS s FROM events")
                .first!.decode(String.self, "s")
            #expect(left == #"{"4 days ago","3 days ago","0 days ago"}"#)
            let oldest = try await pool.query(
                """
                SELECT min(to_date(substring(c.relname FROM 8), 'YYYYMMDD')) - current_date AS d
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
                WHERE p.relname = 'events' AND c.relname ~ '^events_[0-9]{8}$'
                """
            ).first!.decode(Int.self, "d")
            #expect(oldest == -4)
        }
    }
}

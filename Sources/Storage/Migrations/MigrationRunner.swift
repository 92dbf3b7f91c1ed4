import Foundation
import HTTP
import Logging

/// Applies the ordered SQL files of `Migrations/` (`0001_initial.sql`, …), each in its own
/// transaction, recording name and SHA-256 in `schema_migrations`.
///
/// Concurrency: a session advisory lock serialises runners, so replicas starting together (or
/// two `palisade migrate` processes) apply each file exactly once. A file changed after it was
/// applied is refused: the schema would no longer match what its name promises.
public struct MigrationRunner: Sendable {
    public struct Migration: Sendable, Equatable {
        public let name: String
        public let sql: String

        public init(name: String, sql: String) {
            self.name = name
            self.sql = sql
        }
    }

    /// An arbitrary constant that names "Palisade schema migrations" among advisory locks.
    static let lockKey = 7_236_110_935_431_001

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.name < $1.name }
    }

    /// Reads `NNNN_name.sql` files from a directory.
    public init(directory: String) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.range(of: #"^[0-9]{4}_[a-z0-9_]+\.sql$"#, options: .regularExpression) != nil }
        guard !names.isEmpty else {
            throw PostgresError(.migration, message: "no migrations in \(directory)")
        }
        self.init(
            migrations: try names.map { name in
                Migration(name: name, sql: try String(contentsOfFile: directory + "/" + name, encoding: .utf8))
            })
    }

    /// Finds `Migrations/`: `PALISADE_MIGRATIONS_DIR`, else next to or above the executable
    /// (a source checkout's `.build/<config>/palisade`), else `/usr/share/palisade/migrations`.
    public static func locateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        BundledDirectory.locate(
            "Migrations", containing: "0001_initial.sql", environmentVariable: "PALISADE_MIGRATIONS_DIR",
            installed: "/usr/share/palisade/migrations", environment: environment)
    }

    /// Applies what is pending; returns the names applied by this call.
    @discardableResult
    public func apply(using pool: PostgresPool, logger: Logger) async throws -> [String] {
        try await pool.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
            do {
                let applied = try await apply(on: connection, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                throw error
            }
        }
    }

    private func apply(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        _ = try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name text PRIMARY KEY,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        var recorded: [String: String] = [:]
        for row in try await connection.query("SELECT name, checksum FROM schema_migrations") {
            recorded[try row.decode(String.self, "name")] = try row.decode(String.self, "checksum")
        }
        var applied: [String] = []
        for migration in migrations {
            let checksum = try await connection.query(
                "SELECT encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex') AS sum"
            ).first!.decode(String.self, "sum")
            if let previous = recorded[migration.name] {
                guard previous == checksum else {
                    throw PostgresError(
                        .migration,
                        message: "migration \(migration.name) was changed after it was applied "
                            + "(recorded sha256 \(previous.prefix(12))…, file \(checksum.prefix(12))…); "
                            + "add a new migration instead of editing an applied one")
                }
                continue
            }
            _ = try await connection.simpleQuery(unsafeSQL: "BEGIN")
            do {
                _ = try await connection.simpleQuery(unsafeSQL: migration.sql)
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (name, checksum) VALUES (\(migration.name), \(checksum))")
                _ = try await connection.simpleQuery(unsafeSQL: "COMMIT")
            } catch {
                _ = try? await connection.simpleQuery(unsafeSQL: "ROLLBACK")
                throw error
            }
            logger.notice("applied migration", ["migration": migration.name])
            applied.append(migration.name)
        }
        return applied
    }

    /// True when every known migration is recorded with a matching name (for `/readyz`).
    public func isCurrent(using pool: PostgresPool) async throws -> Bool {
        let rows = try await pool.query(
            "SELECT name FROM schema_migrations WHERE name = ANY(string_to_array(\(migrations.map(\.name).joined(separator: ",")), ','))"
        )
        return rows.count == migrations.count
    }
}

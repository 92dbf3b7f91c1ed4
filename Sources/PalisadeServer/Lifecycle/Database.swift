import Foundation
import HTTP
import Logging
import Storage

/// The database side of the server: the embedded PostgreSQL (when no URL is configured), the
/// connection pool and the migrations.
public final class Database: Sendable {
    public let pool: PostgresPool
    public let migrations: MigrationRunner
    public let embedded: EmbeddedPostgres?
    /// libpq connection string of the database in use (for dedicated connections: LISTEN).
    public let connectionInfo: String
    /// The migrations this start applied (empty when the schema was current).
    public let appliedAtOpen: [String]

    private init(
        pool: PostgresPool, migrations: MigrationRunner, embedded: EmbeddedPostgres?, connectionInfo: String,
        applied: [String]
    ) {
        self.pool = pool
        self.connectionInfo = connectionInfo
        self.migrations = migrations
        self.embedded = embedded
        self.appliedAtOpen = applied
    }

    /// Connects (starting the embedded server if needed) and applies pending migrations.
    public static func open(
        _ configuration: ServerConfiguration, dataDirectory: DataDirectory, group: EventLoopGroup, logger: Logger
    ) async throws -> Database {
        guard let directory = MigrationRunner.locateDirectory() else {
            throw DataDirectory.Failure(
                description: "cannot find the Migrations directory (set PALISADE_MIGRATIONS_DIR)")
        }
        let migrations = try MigrationRunner(directory: directory)
        var embedded: EmbeddedPostgres?
        let connectionInfo: String
        if let url = configuration.databaseURL {
            connectionInfo = url
        } else {
            embedded = try await EmbeddedPostgres.start(dataDirectory: dataDirectory.path, logger: logger)
            connectionInfo = embedded!.connectionInfo
        }
        let pool = PostgresPool(configuration: .init(connectionInfo: connectionInfo), group: group, logger: logger)
        let applied: [String]
        do {
            applied = try await migrations.apply(using: pool, logger: logger)
        } catch {
            await pool.close()
            await embedded?.stop()
            throw error
        }
        return Database(
            pool: pool, migrations: migrations, embedded: embedded, connectionInfo: connectionInfo, applied: applied)
    }

    public func close() async {
        await pool.close()
        await embedded?.stop()
    }
}

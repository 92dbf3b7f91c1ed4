import Foundation
import HTTP
import Logging
import Storage
import Testing

/// A fresh database per test on the suite's PostgreSQL (`PALISADE_TEST_DATABASE_URL`, started by
/// `scripts/test-postgres.sh`). Tests fail loudly, rather than skip, when it is not there.
struct TestDatabase {
    static let adminURL = ProcessInfo.processInfo.environment["PALISADE_TEST_DATABASE_URL"]

    let name: String
    let connectionInfo: String

    static func create() async throws -> TestDatabase {
        guard let admin = adminURL else {
            throw PostgresErrorForTests(
                "PALISADE_TEST_DATABASE_URL is not set: run the suite through scripts/test.sh, or start "
                    + "scripts/test-postgres.sh and export what it prints")
        }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let group = try EventLoopGroup(count: 1)
        defer { group.stop() }
        let connection = try await PostgresConnection.connect(admin, on: group.loops[0])
        _ = try await connection.simpleQuery(unsafeSQL: "CREATE DATABASE \(name)")
        connection.close()
        return TestDatabase(
            name: name, connectionInfo: admin.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(name)"))
    }

    func drop() async {
        guard let admin = Self.adminURL, let group = try? EventLoopGroup(count: 1) else { return }
        defer { group.stop() }
        if let connection = try? await PostgresConnection.connect(admin, on: group.loops[0]) {
            _ = try? await connection.simpleQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            connection.close()
        }
    }
}

struct PostgresErrorForTests: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let quietLogger = Logger(label: "test", level: .warning, sink: MemoryLogSink())

/// Runs `body` with a pool on a fresh database and event loops of its own, then cleans up.
func withPool(
    loops: Int = 1, connectionsPerLoop: Int = 4, acquireTimeout: Duration = .seconds(10),
    _ body: (PostgresPool, TestDatabase, EventLoopGroup) async throws -> Void
) async throws {
    let database = try await TestDatabase.create()
    let group = try EventLoopGroup(count: loops)
    var configuration = PostgresPool.Configuration(connectionInfo: database.connectionInfo)
    configuration.connectionsPerLoop = connectionsPerLoop
    configuration.acquireTimeout = acquireTimeout
    let pool = PostgresPool(configuration: configuration, group: group, logger: quietLogger)
    do {
        try await body(pool, database, group)
    } catch {
        await pool.close()
        group.stop()
        await database.drop()
        throw error
    }
    await pool.close()
    group.stop()
    await database.drop()
}

import Foundation
import HTTP
import Logging
import Storage
import TestSupport

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

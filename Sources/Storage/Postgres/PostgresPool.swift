import Foundation
import HTTP
import Logging

/// A bounded pool of connections per event loop: a request's queries run on connections that
/// live on its own loop, so no result ever crosses threads.
///
/// Fairness: waiters are served first come, first served. An acquire that waits longer than
/// `acquireTimeout` fails with `.timeout`. Broken connections (server restart, network) are
/// dropped, the statement that was running fails with a retryable `.connectionLost`, and later
/// acquires open fresh connections, so the pool heals itself once PostgreSQL is back.
public final class PostgresPool: Sendable {
    public struct Configuration: Sendable {
        public var connectionInfo: String
        public var connectionsPerLoop = 8
        public var acquireTimeout: Duration = .seconds(10)

        public init(connectionInfo: String) { self.connectionInfo = connectionInfo }
    }

    let configuration: Configuration
    let group: EventLoopGroup
    let logger: Logger
    private let pools: [LoopPool]

    public init(configuration: Configuration, group: EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        pools = group.loops.map { LoopPool(loop: $0, configuration: configuration, logger: logger) }
    }

    /// The pool of the loop the caller runs on, or the next one round-robin.
    private var localPool: LoopPool {
        pools.first { $0.loop.inEventLoop } ?? pools[group.next().index]
    }

    /// Lends a connection for the duration of `body`, then returns it (or drops it if broken).
    public func withConnection<R: Sendable>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        let pool = localPool
        let connection = try await pool.acquire()
        do {
            let result = try await body(connection)
            pool.release(connection)
            return result
        } catch {
            pool.release(connection)
            throw error
        }
    }

    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withConnection { try await $0.query(query) }
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func withTransaction<R: Sendable>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        try await withConnection { connection in
            _ = try await connection.query("BEGIN")
            do {
                let result = try await body(connection)
                _ = try await connection.query("COMMIT")
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Closes every idle connection; connections in use close when returned.
    public func close() async {
        for pool in pools { await pool.close() }
    }
}

/// The connections of one loop. All state is touched on that loop only.
final class LoopPool: @unchecked Sendable {
    // Safety (@unchecked Sendable): the mutable state is only read and written inside closures
    // run on `loop` (`executeOrRun`).
    let loop: EventLoop
    private let configuration: PostgresPool.Configuration
    private let logger: Logger
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [(id: UInt64, resume: (Result<PostgresConnection, PostgresError>) -> Void)] = []
    private var nextWaiterID: UInt64 = 0
    private var closed = false

    init(loop: EventLoop, configuration: PostgresPool.Configuration, logger: Logger) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
    }

    func acquire() async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { continuation in
            loop.executeOrRun { [self] in
                acquire { continuation.resume(with: $0.mapError { $0 as any Error }) }
            }
        }
    }

    private func acquire(_ resume: @escaping (Result<PostgresConnection, PostgresError>) -> Void) {
        guard !closed else { return resume(.failure(PostgresError(.connectionLost, message: "pool closed"))) }
        while let connection = idle.popLast() {
            if connection.isIdle { return resume(.success(connection)) }
            drop(connection)
        }
        if open < configuration.connectionsPerLoop {
            return openConnection(for: resume)
        }
        nextWaiterID += 1
        let id = nextWaiterID
        waiters.append((id, resume))
        let timeout = configuration.acquireTimeout
        let loop = self.loop
        Task {
            try? await Task.sleep(for: timeout)
            loop.execute { [self] in expire(id) }
        }
    }

    private func expire(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.resume(.failure(PostgresError(.timeout, message: "no database connection became free in time")))
    }

    private func openConnection(for resume: @escaping (Result<PostgresConnection, PostgresError>) -> Void) {
        open += 1
        PostgresConnection.start(configuration.connectionInfo, on: loop) { [self] result in
            if case .failure(let error) = result {
                open -= 1
                logger.warning("database connection failed", ["db.error": error.description])
            }
            resume(result)
        }
    }

    func release(_ connection: PostgresConnection) {
        loop.executeOrRun { [self] in
            guard connection.isIdle, !closed else {
                drop(connection)
                serveWaiterWithNewConnection()
                return
            }
            if !waiters.isEmpty {
                waiters.removeFirst().resume(.success(connection))
            } else {
                idle.append(connection)
            }
        }
    }

    private func drop(_ connection: PostgresConnection) {
        connection.close()
        open -= 1
    }

    private func serveWaiterWithNewConnection() {
        guard !waiters.isEmpty, open < configuration.connectionsPerLoop, !closed else { return }
        openConnection(for: waiters.removeFirst().resume)
    }

    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.executeOrRun { [self] in
                closed = true
                for connection in idle { drop(connection) }
                idle.removeAll()
                for waiter in waiters {
                    waiter.resume(.failure(PostgresError(.connectionLost, message: "pool closed")))
                }
                waiters.removeAll()
                continuation.resume()
            }
        }
    }
}

import Logging
import Synchronization

/// What every connection of one server shares: routes, limits, the logger and the connection
/// count. Immutable after start-up except the counters, which are atomic.
final class ServerContext: Sendable {
    let dispatcher: RequestDispatcher
    let limits: ConnectionLimits
    let logger: Logger
    let maxConnections: Int
    let openConnections = Atomic<Int>(0)
    /// One registry per loop, indexed by `EventLoop.index`; each touched only on its loop.
    let registries: [LoopBound<ConnectionRegistry>]

    init(router: Router, limits: ConnectionLimits, maxConnections: Int, logger: Logger, loops: [EventLoop]) {
        dispatcher = RequestDispatcher(router: router, logger: logger)
        self.limits = limits
        self.maxConnections = maxConnections
        self.logger = logger
        registries = loops.map { LoopBound(ConnectionRegistry(), loop: $0) }
    }
}

/// The open connections of one loop, for graceful and forced shutdown.
final class ConnectionRegistry {
    private(set) var connections: [ObjectIdentifier: Connection] = [:]
    var isShuttingDown = false

    func add(_ connection: Connection) { connections[ObjectIdentifier(connection)] = connection }
    func remove(_ connection: Connection) { connections[ObjectIdentifier(connection)] = nil }
}

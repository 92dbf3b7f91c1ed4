internal import CLinux
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/2 + HTTP/1.1 server on the group's event loops, with one or more listeners.
///
/// Lifecycle: `start()` binds and begins accepting; `shutdown(gracePeriod:)` stops accepting,
/// lets in-flight requests finish (HTTP/2 gets GOAWAY), then closes what is left.
public final class HTTPServer: Sendable {
    private let group: EventLoopGroup
    private let listeners: [ListenerConfiguration]
    private let context: ServerContext
    private let state = Mutex<State>(State())

    private struct State {
        var listenerFDs: [Int32] = []
        var started = false
    }

    public init(
        group: EventLoopGroup, router: Router, listeners: [ListenerConfiguration], limits: ConnectionLimits = .init(),
        maxConnections: Int = 20_000, logger: Logger
    ) {
        self.group = group
        self.listeners = listeners
        context = ServerContext(
            router: router, limits: limits, maxConnections: maxConnections, logger: logger, loops: group.loops)
    }

    /// Binds every listener and starts accepting. Returns the bound addresses in listener order
    /// (with real ports where port 0 was asked for).
    public func start() async throws -> [SocketAddress] {
        var bound: [SocketAddress] = []
        var fds: [Int32] = []
        do {
            for listener in listeners {
                let (fd, address) = try Socket.listen(on: listener.address)
                fds.append(fd)
                bound.append(address)
            }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        for loop in group.loops {
            let context = self.context
            let listeners = self.listeners
            let registered = fds
            try await Self.run(on: loop) { () throws(SystemError) in
                for (fd, configuration) in zip(registered, listeners) {
                    let listener = Listener(fd: fd, loop: loop, context: context, tls: configuration.tls)
                    try loop.register(listener, events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue)
                }
            }
        }
        state.withLock {
            $0.listenerFDs = fds
            $0.started = true
        }
        for (configuration, address) in zip(listeners, bound) {
            context.logger.notice(
                "listening",
                [
                    "listener": configuration.name, "address": "\(address)",
                    "tls": configuration.tls == nil ? "off" : "on",
                ])
        }
        return bound
    }

    public var openConnections: Int { context.openConnections.load(ordering: .relaxed) }

    /// Stops accepting, asks every connection to finish, waits up to `gracePeriod`, then closes
    /// whatever is still open.
    public func shutdown(gracePeriod: Duration) async {
        let fds = state.withLock { state -> [Int32] in
            defer { state.listenerFDs = [] }
            return state.listenerFDs
        }
        let context = self.context
        for loop in group.loops {
            try? await Self.run(on: loop) { () throws(SystemError) in
                for fd in fds { loop.deregister(ListenerFD(fd: fd)) }
                let registry = context.registries[loop.index].value
                registry.isShuttingDown = true
                for connection in registry.connections.values { connection.beginGracefulShutdown() }
            }
        }
        for fd in fds { close(fd) }
        let deadline = ContinuousClock.now + gracePeriod
        while openConnections > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for loop in group.loops {
            try? await Self.run(on: loop) { () throws(SystemError) in
                for connection in context.registries[loop.index].value.connections.values { connection.close() }
            }
        }
    }

    /// Runs `body` on `loop` and waits for it.
    static func run(on loop: EventLoop, _ body: @escaping @Sendable () throws(SystemError) -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            loop.execute {
                do {
                    try body()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// Names a listening fd for deregistration.
private final class ListenerFD: Selectable {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    func readable() {}
    func writable() {}
}

internal import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// Where a server listens and how: TLS (with or without client certificates) or cleartext.
public struct ListenerConfiguration: Sendable {
    public var name: String
    public var address: SocketAddress
    /// nil means cleartext: HTTP/1.1 plus h2c by prior knowledge or `Upgrade`.
    public var tls: TLSContext?

    public init(name: String, address: SocketAddress, tls: TLSContext?) {
        self.name = name
        self.address = address
        self.tls = tls
    }
}

/// One loop's view of a shared listening socket. Every loop watches the same fd with
/// `EPOLLEXCLUSIVE`, so the kernel wakes one loop per incoming connection and connections
/// spread across loops without a hand-off between threads.
final class Listener: Selectable {
    let fd: Int32
    let loop: EventLoop
    let context: ServerContext
    let tls: TLSContext?

    init(fd: Int32, loop: EventLoop, context: ServerContext, tls: TLSContext?) {
        self.fd = fd
        self.loop = loop
        self.context = context
        self.tls = tls
    }

    func readable() {
        for _ in 0..<64 {
            let accepted: (Int32, SocketAddress?)?
            do {
                accepted = try Socket.accept(fd)
            } catch {
                // EMFILE and friends: log and let the next readiness event retry.
                context.logger.warning("accept failed", ["error": "\(error)"])
                return
            }
            guard let (socket, remote) = accepted else { return }
            admit(socket, remote: remote)
        }
    }

    func writable() {}

    private func admit(_ socket: Int32, remote: SocketAddress?) {
        let open = context.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        if open > context.maxConnections || context.registries[loop.index].value.isShuttingDown {
            // Refused before any protocol work: the client sees a prompt close, not a hang.
            Glibc.close(socket)
            context.openConnections.subtract(1, ordering: .relaxed)
            context.logger.debug("connection refused: limit reached", ["limit": "\(context.maxConnections)"])
            return
        }
        let transport: any Transport
        if let tls {
            do {
                transport = try TLSTransport(context: tls, fd: socket)
            } catch {
                context.logger.error("cannot start TLS", ["error": "\(error)"])
                Glibc.close(socket)
                context.openConnections.subtract(1, ordering: .relaxed)
                return
            }
        } else {
            transport = PlainTransport(fd: socket)
        }
        Connection(
            fd: socket, loop: loop, context: context, transport: transport, isCleartext: tls == nil,
            remoteAddress: remote
        ).start()
    }
}

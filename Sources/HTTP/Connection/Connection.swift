internal import CLinux
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One accepted socket: its transport (TLS or plain), protocol detection, output buffering,
/// epoll interest, timeouts and close.
///
/// Lifecycle: handshaking → (cleartext only) detecting → serving → lingering → closed.
/// Threading: confined to its loop; created there by a `Listener`.
final class Connection: Selectable, Flushable, TimeoutChecking {
    enum Phase {
        case handshaking
        case detecting
        case serving(any ProtocolHandler)
        /// Output done and our side shut; reading and discarding until the peer closes, so a
        /// final error response is not lost to a TCP reset.
        case lingering(until: UInt64)
        case closed
    }

    static let http2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    let fd: Int32
    let loop: EventLoop
    let context: ServerContext
    /// Replaced by `ClosedTransport.shared` on close, which frees TLS state at once: the timer
    /// wheel may hold the closed connection until its next deadline, and each TLS session's
    /// buffers (about 30 KiB) used to stay with it until then.
    private(set) var transport: any Transport
    let remoteAddress: SocketAddress?
    let isCleartext: Bool
    var isMarkedForFlush = false
    private(set) var phase: Phase = .handshaking
    private var output = ByteBuffer()
    private var sniffed = ByteBuffer()
    private var interest: UInt32 = 0
    private let acceptedAt: UInt64
    private(set) var lastActivity: UInt64
    private var lastWriteProgress: UInt64

    var peerCertificate: PeerCertificate? { transport.peerCertificate }
    var logger: Logger { context.logger }

    init(
        fd: Int32, loop: EventLoop, context: ServerContext, transport: any Transport, isCleartext: Bool,
        remoteAddress: SocketAddress?
    ) {
        self.fd = fd
        self.loop = loop
        self.context = context
        self.transport = transport
        self.isCleartext = isCleartext
        self.remoteAddress = remoteAddress
        acceptedAt = loop.now
        lastActivity = loop.now
        lastWriteProgress = loop.now
    }

    func start() {
        do {
            try loop.register(self, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        } catch {
            logger.warning("cannot watch connection", ["error": "\(error)"])
            Glibc.close(fd)
            context.openConnections.subtract(1, ordering: .relaxed)
            return
        }
        interest = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        context.registries[loop.index].value.add(self)
        loop.scheduleTimeoutCheck(self, at: acceptedAt + context.limits.handshakeTimeout)
        if isCleartext { phase = .detecting }
    }

    // MARK: Events

    func readable() {
        switch phase {
        case .handshaking: advanceHandshake()
        case .detecting, .serving: readAvailable()
        case .lingering: discardInput()
        case .closed: return
        }
    }

    func writable() {
        if case .handshaking = phase { return advanceHandshake() }
        flush()
    }

    private func advanceHandshake() {
        switch transport.handshake() {
        case .done:
            lastActivity = loop.now
            startServing(
                transport.negotiatedProtocol == "h2" ? makeHTTP2Handler(upgrade: nil) : HTTP1Handler(connection: self))
            readAvailable()
        case .needsRead:
            setInterest(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        case .needsWrite:
            setInterest(EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue)
        case .failed(let reason):
            logger.debug("TLS handshake failed", ["client": remoteAddress?.description ?? "-", "tls.reason": reason])
            // Linger instead of closing at once: closing with the client's data unread would send
            // RST, and the client would never read the alert that says why (unknown CA, expired…).
            beginLingeringClose(tlsFailed: true)
        }
    }

    private func makeHTTP2Handler(upgrade: HTTP2Upgrade?) -> any ProtocolHandler {
        do {
            return try HTTP2Handler(connection: self, upgrade: upgrade)
        } catch {
            logger.error("cannot start HTTP/2 session", ["error": "\(error)"])
            return ClosingHandler()
        }
    }

    private func startServing(_ handler: any ProtocolHandler) {
        phase = .serving(handler)
        loop.scheduleTimeoutCheck(self, at: loop.now + 1000)
    }

    private func readAvailable() {
        var total = 0
        while total < 256 * 1024 && output.count < context.limits.outputHighWater {
            if case .serving(let handler) = phase, !handler.wantsRead { break }
            let result = transport.read(into: loop.readBuffer)
            switch result {
            case .processed(let n):
                total += n
                lastActivity = loop.now
                deliver(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<n]))
                if case .closed = phase { return }
            case .wouldBlock:
                loop.markForFlush(self)
                return
            case .closed:
                close()
                return
            }
        }
        loop.markForFlush(self)
    }

    private func deliver(_ bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .detecting:
            sniffed.append(bytes)
            let checked = min(sniffed.count, Self.http2Preface.count)
            if sniffed.slice(0..<checked).elementsEqual(Self.http2Preface[0..<checked]) {
                guard checked == Self.http2Preface.count else { return }  // Wait for the whole preface.
                startServing(makeHTTP2Handler(upgrade: nil))
            } else {
                startServing(HTTP1Handler(connection: self))
            }
            let buffered = sniffed
            sniffed.removeAll()
            buffered.withReadableBytes { deliver($0) }
        case .serving(let handler):
            handler.received(bytes)
            if let http1 = handler as? HTTP1Handler, let upgrade = http1.takeUpgrade() {
                switchToHTTP2(from: http1, upgrade: upgrade)
            }
        default:
            return
        }
    }

    /// `Upgrade: h2c` was accepted: the 101 goes out first, then HTTP/2 takes over with the
    /// upgraded request as stream 1 and whatever the client already sent after it.
    private func switchToHTTP2(from http1: HTTP1Handler, upgrade: HTTP2Upgrade) {
        http1.produceOutput(into: &output, limit: Int.max)
        let handler = makeHTTP2Handler(upgrade: upgrade)
        phase = .serving(handler)
        let leftover = http1.takeUnparsedInput()
        if !leftover.isEmpty { leftover.withReadableBytes { handler.received($0) } }
    }

    // MARK: Output

    func flush() {
        guard case .serving(let handler) = phase else { return }
        while true {
            if output.isEmpty {
                handler.produceOutput(into: &output, limit: 64 * 1024)
                if output.isEmpty { break }
            }
            let result = output.withReadableBytes { transport.write($0) }
            switch result {
            case .processed(let n):
                output.consume(n)
                lastWriteProgress = loop.now
            case .wouldBlock:
                updateInterest(handler)
                return
            case .closed:
                close()
                return
            }
        }
        if handler.isFinished {
            beginLingeringClose()
            return
        }
        updateInterest(handler)
    }

    private func updateInterest(_ handler: any ProtocolHandler) {
        var events = EPOLLRDHUP.rawValue
        if handler.wantsRead && output.count < context.limits.outputHighWater { events |= EPOLLIN.rawValue }
        if !output.isEmpty || transport.needsWritable { events |= EPOLLOUT.rawValue }
        setInterest(events)
    }

    private func setInterest(_ events: UInt32) {
        guard events != interest else { return }
        interest = events
        loop.modify(self, events: events)
    }

    /// Called by handlers after they queue output.
    func outputPending() { loop.markForFlush(self) }

    // MARK: Closing

    private func beginLingeringClose(tlsFailed: Bool = false) {
        if case .serving(let handler) = phase { handler.connectionClosed() }
        if !tlsFailed { transport.shutdown() }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        phase = .lingering(until: loop.now + context.limits.lingerTimeout)
        setInterest(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        loop.scheduleTimeoutCheck(self, at: loop.now + context.limits.lingerTimeout)
    }

    private func discardInput() {
        for _ in 0..<16 {
            switch Socket.read(fd, into: loop.readBuffer) {
            case .processed: continue
            case .wouldBlock: return
            case .closed: return close()
            }
        }
    }

    func close() {
        switch phase {
        case .closed: return
        case .serving(let handler): handler.connectionClosed()
        default: break
        }
        phase = .closed
        loop.deregister(self)
        Glibc.close(fd)
        transport = ClosedTransport.shared
        output.removeAll()
        context.registries[loop.index].value.remove(self)
        context.openConnections.subtract(1, ordering: .relaxed)
    }

    /// Server shutdown: stop taking requests and finish what is in flight.
    func beginGracefulShutdown() {
        switch phase {
        case .serving(let handler):
            handler.beginGracefulShutdown()
            loop.markForFlush(self)
        case .handshaking, .detecting:
            close()
        default:
            return
        }
    }

    // MARK: Timeouts

    func checkTimeouts(now: UInt64) -> UInt64? {
        let limits = context.limits
        switch phase {
        case .closed:
            return nil
        case .handshaking, .detecting:
            let deadline = acceptedAt + limits.handshakeTimeout
            if now >= deadline {
                logger.debug("handshake timed out", ["client": remoteAddress?.description ?? "-"])
                close()
                return nil
            }
            return deadline
        case .lingering(let until):
            if now >= until {
                close()
                return nil
            }
            return until
        case .serving(let handler):
            if !output.isEmpty && now >= lastWriteProgress + limits.writeTimeout {
                logger.debug("write timed out", ["client": remoteAddress?.description ?? "-"])
                close()
                return nil
            }
            if !handler.hasActiveRequests && output.isEmpty && now >= lastActivity + limits.idleTimeout {
                handler.beginGracefulShutdown()
                loop.markForFlush(self)
                if now >= lastActivity + limits.idleTimeout + limits.lingerTimeout {
                    close()
                    return nil
                }
                return now + 1000
            }
            let handlerDeadline = handler.checkTimeouts(now: now) ?? UInt64.max
            if case .closed = phase { return nil }
            loop.markForFlush(self)
            let writeDeadline = output.isEmpty ? UInt64.max : lastWriteProgress + limits.writeTimeout
            return min(handlerDeadline, writeDeadline, lastActivity + limits.idleTimeout)
        }
    }
}

/// Stands in when a protocol session could not be created: finishes at once.
final class ClosingHandler: ProtocolHandler {
    func received(_ bytes: UnsafeRawBufferPointer) {}
    func produceOutput(into output: inout ByteBuffer, limit: Int) {}
    var wantsRead: Bool { false }
    var isFinished: Bool { true }
    var hasActiveRequests: Bool { false }
    func beginGracefulShutdown() {}
    func checkTimeouts(now: UInt64) -> UInt64? { nil }
    func connectionClosed() {}
}

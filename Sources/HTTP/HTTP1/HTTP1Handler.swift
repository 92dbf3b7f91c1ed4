import Foundation

/// A request that asked to switch to HTTP/2 (`Upgrade: h2c`), with its decoded SETTINGS.
struct HTTP2Upgrade {
    let head: HTTP1RequestHead
    let settings: [UInt8]
}

/// HTTP/1.1 on one connection: keep-alive, pipelining (one request answered at a time, later
/// ones wait in a bounded input buffer), chunked bodies both ways, `Expect: 100-continue`, and
/// the h2c upgrade on cleartext listeners.
///
/// Threading: confined to the connection's loop.
final class HTTP1Handler: ProtocolHandler {
    // Safety (unowned(unsafe)): the connection owns this handler and outlives it.
    unowned(unsafe) let connection: Connection
    private var parser: HTTP1Parser
    private var input = ByteBuffer()
    private var queued = ByteBuffer()
    private var exchange: HTTP1Exchange?
    private var nextExchangeID = 0
    private var closeAfterResponse = false
    /// No more requests will be read; close once `queued` drains.
    private var finished = false
    private var shuttingDown = false
    private var upgrade: HTTP2Upgrade?
    private var headStartedAt: UInt64?
    /// True while `process()` is on the stack. A response completed synchronously inside it
    /// (handlers start immediately) must not recurse into it once per pipelined request.
    private var isProcessing = false
    private var writableWaiters: [(Bool) -> Void] = []

    init(connection: Connection) {
        self.connection = connection
        let limits = connection.context.limits
        parser = HTTP1Parser(limits: .init(maxLineLength: limits.maxLineLength, maxHeaderCount: limits.maxHeaderCount))
    }

    private var limits: ConnectionLimits { connection.context.limits }
    private var now: UInt64 { connection.loop.now }

    // MARK: ProtocolHandler

    func received(_ bytes: UnsafeRawBufferPointer) {
        input.append(bytes)
        process()
    }

    var wantsRead: Bool { !finished && upgrade == nil && input.count < limits.maxPipelinedBytes + limits.maxLineLength }
    var isFinished: Bool { finished && queued.isEmpty }
    var hasActiveRequests: Bool { exchange != nil || !input.isEmpty }

    func produceOutput(into output: inout ByteBuffer, limit: Int) {
        let n = min(queued.count, max(0, limit - output.count))
        guard n > 0 else { return }
        queued.withReadableBytes { output.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        queued.consume(n)
        if queued.count < StreamWatermark.low && !writableWaiters.isEmpty {
            let waiters = writableWaiters
            writableWaiters.removeAll()
            for waiter in waiters { waiter(true) }
        }
    }

    func beginGracefulShutdown() {
        shuttingDown = true
        closeAfterResponse = true
        if exchange == nil { finished = true }
        exchange?.channel?.cancelStream()
    }

    func checkTimeouts(now: UInt64) -> UInt64? {
        if let exchange, exchange.channel == nil {
            // Still receiving the body.
            let deadline = exchange.lastBodyProgress + limits.readTimeout
            if now >= deadline {
                return fail(status: 408, code: "request_timeout", detail: "The request body did not arrive in time.")
            }
            return deadline
        }
        if let started = headStartedAt, exchange == nil {
            let deadline = started + limits.headerTimeout
            if now >= deadline {
                return fail(status: 408, code: "request_timeout", detail: "The request head did not arrive in time.")
            }
            return deadline
        }
        return nil
    }

    func connectionClosed() {
        finished = true
        exchange?.channel?.close()
        let waiters = writableWaiters
        writableWaiters.removeAll()
        for waiter in waiters { waiter(false) }
    }

    // MARK: Upgrade hand-off

    func takeUpgrade() -> HTTP2Upgrade? {
        defer { upgrade = nil }
        return upgrade
    }

    func takeUnparsedInput() -> ByteBuffer {
        defer { input.removeAll() }
        return input
    }

    // MARK: Parsing

    private func process() {
        guard !isProcessing else { return }  // The frame below us picks up the next request.
        isProcessing = true
        defer { isProcessing = false }
        while !finished && upgrade == nil {
            if exchange?.channel != nil { return }  // Answering; the next request waits its turn.
            if exchange == nil {
                if input.isEmpty { return }
                if headStartedAt == nil { headStartedAt = now }
            }
            let event: HTTP1Parser.Event?
            do {
                event = try parser.next(&input)
            } catch {
                _ = fail(status: 400, detail: error.detail)
                return
            }
            guard let event else { return }
            switch event {
            case .head(let head): startExchange(head)
            case .body(let bytes): appendBody(bytes)
            case .end: if let exchange, exchange.channel == nil { dispatch(exchange) }
            }
        }
    }

    private func startExchange(_ head: HTTP1RequestHead) {
        headStartedAt = nil
        if connection.isCleartext, let upgrade = Self.h2cUpgrade(head) {
            self.upgrade = upgrade
            queued.append("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
            return
        }
        nextExchangeID += 1

        var exchange = HTTP1Exchange(id: nextExchangeID, head: head, lastBodyProgress: now)
        switch connection.context.dispatcher.router.match(method: head.method, target: head.target) {
        case .found(let route, let parameters):
            exchange.route = route
            exchange.parameters = parameters
            exchange.bodyLimit = route.bodyLimit
        case .methodNotAllowed(let allowed):
            exchange.failure = .methodNotAllowed(allowed)
        case .notFound:
            break
        }
        closeAfterResponse = closeAfterResponse || !head.keepAlive
        self.exchange = exchange
        if let length = head.contentLength, length > exchange.bodyLimit {
            rejectOversizedBody(exchange)
            return
        }
        if head.expectsContinue && head.hasBody { queued.append("HTTP/1.1 100 Continue\r\n\r\n") }
    }

    /// Appends in place: a copy of the exchange taken out and stored back would share the body's
    /// storage with it, and every chunk would copy the whole body so far (quadratic in its size).
    private func appendBody(_ bytes: [UInt8]) {
        guard let received = exchange?.body.count, let limit = exchange?.bodyLimit else { return }
        if received + bytes.count > limit, let exchange {
            rejectOversizedBody(exchange)
            return
        }
        exchange?.lastBodyProgress = now
        exchange?.body.append(contentsOf: bytes)
    }

    /// Answers 413 at once; the rest of the body is never read, so the connection closes after.
    private func rejectOversizedBody(_ exchange: HTTP1Exchange) {
        var rejected = exchange
        rejected.failure = .payloadTooLarge(limit: exchange.bodyLimit)
        rejected.route = nil
        closeAfterResponse = true
        finished = true
        dispatch(rejected)
    }

    private func dispatch(_ exchange: HTTP1Exchange) {
        let head = exchange.head
        let channel = HTTP1ResponseChannel(handler: self, exchangeID: exchange.id, isHead: head.method == "HEAD")
        var current = exchange
        current.channel = channel
        self.exchange = current
        let dispatcher = connection.context.dispatcher
        var request = Request(
            id: dispatcher.nextRequestID(), method: head.method, target: head.target, headers: head.headers,
            body: exchange.body, remoteAddress: connection.remoteAddress, peerCertificate: connection.peerCertificate,
            httpVersion: head.minorVersion == 1 ? "1.1" : "1.0")
        request.pathParameters = exchange.parameters
        dispatcher.dispatch(
            request, route: exchange.route, failure: exchange.failure, channel: channel, loop: connection.loop)
    }

    /// Answers a request that cannot be parsed or timed out, and closes after the answer.
    private func fail(status: Int, code: String = "bad_request", detail: String) -> UInt64? {
        finished = true
        guard exchange?.channel == nil else { return nil }  // A response is already under way.
        exchange = nil
        let error = HTTPError(status: status, code: code, title: HTTPError.reasonPhrase(status), detail: detail)
        let response = Response.problem(error)
        if case .bytes(let body) = response.body {
            writeHead(
                status: status, headers: response.headers, bodyCount: body.count, chunked: false, forceClose: true)
            queued.append(contentsOf: body)
        }
        connection.logger.debug(
            "malformed HTTP/1.1 request", ["client": connection.remoteAddress?.description ?? "-", "detail": detail])
        connection.outputPending()
        return nil
    }

    // MARK: Writing responses

    func isCurrent(_ exchangeID: Int) -> Bool { exchange?.id == exchangeID && exchange?.channel != nil }

    func writeHead(
        status: Int, headers: HTTPHeaders, requestID: String? = nil, bodyCount: Int, chunked: Bool,
        forceClose: Bool = false
    ) {
        var head = "HTTP/1.1 \(status) \(HTTPError.reasonPhrase(status))\r\n"
        if let requestID { head += "x-request-id: \(requestID)\r\n" }
        for (name, value) in headers where !HTTPHeaders.isHopByHop(name) {
            head += "\(name): \(value)\r\n"
        }
        head += chunked ? "transfer-encoding: chunked\r\n" : "content-length: \(bodyCount)\r\n"
        if closeAfterResponse || forceClose { head += "connection: close\r\n" }
        head += "\r\n"
        queued.append(head)
        connection.outputPending()
    }

    func writeBody(_ bytes: [UInt8], chunked: Bool) {
        guard !bytes.isEmpty else { return }
        if chunked { queued.append(String(bytes.count, radix: 16) + "\r\n") }
        queued.append(contentsOf: bytes)
        if chunked { queued.append("\r\n") }
        connection.outputPending()
    }

    func finishExchange(chunked: Bool) {
        if chunked { queued.append("0\r\n\r\n") }
        exchange = nil
        parser.reset()
        if closeAfterResponse { finished = true }
        connection.outputPending()
        process()
    }

    var queuedBytes: Int { queued.count }

    func whenWritable(_ callback: @escaping (Bool) -> Void) {
        if finished && queued.isEmpty { return callback(false) }
        writableWaiters.append(callback)
    }

    private static func h2cUpgrade(_ head: HTTP1RequestHead) -> HTTP2Upgrade? {
        guard head.minorVersion == 1, !head.hasBody,
            head.headers.values("upgrade").contains(where: { $0.lowercased().contains("h2c") }),
            let encoded = head.headers["http2-settings"], head.headers.values("http2-settings").count == 1,
            encoded.utf8.count <= 1024
        else { return nil }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        // SETTINGS entries are 6 bytes each; anything else is ignored and served as HTTP/1.1.
        guard let settings = Data(base64Encoded: base64), settings.count % 6 == 0 else { return nil }
        return HTTP2Upgrade(head: head, settings: Array(settings))
    }
}

/// One request on an HTTP/1.1 connection, from its head to the end of its response.
struct HTTP1Exchange {
    let id: Int
    let head: HTTP1RequestHead
    var route: Router.Route?
    var parameters: [String: String] = [:]
    var failure: HTTPError?
    var bodyLimit = Router.defaultBodyLimit
    var body: [UInt8] = []
    var lastBodyProgress: UInt64
    /// Set once the request is complete and handed to its handler.
    var channel: HTTP1ResponseChannel?

    init(id: Int, head: HTTP1RequestHead, lastBodyProgress: UInt64) {
        self.id = id
        self.head = head
        self.lastBodyProgress = lastBodyProgress
    }
}

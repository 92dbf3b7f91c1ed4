/// The response side of one HTTP/1.1 exchange. Writes go through only while its exchange is
/// the connection's current one, so a late write from an old handler can never corrupt the
/// framing of the next response.
final class HTTP1ResponseChannel: ResponseChannel {
    /// Strong until the exchange completes or the connection closes (see `HTTP2Stream.handler`
    /// for why not `weak`).
    private var handler: HTTP1Handler?
    private let exchangeID: Int
    private let isHead: Bool
    private var chunked = false
    private var completed = false
    private(set) var isClosed = false
    var task: Task<Void, Never>?

    init(handler: HTTP1Handler, exchangeID: Int, isHead: Bool) {
        self.handler = handler
        self.exchangeID = exchangeID
        self.isHead = isHead
    }

    private var liveHandler: HTTP1Handler? {
        guard !isClosed, !completed, let handler, handler.isCurrent(exchangeID) else { return nil }
        return handler
    }

    func sendHead(status: Int, headers: HTTPHeaders, requestID: String, body: [UInt8], complete: Bool) {
        guard let handler = liveHandler else { return }
        chunked = !complete && !isHead
        handler.writeHead(
            status: status, headers: headers, requestID: requestID, bodyCount: body.count, chunked: chunked)
        if !isHead { handler.writeBody(body, chunked: false) }
        if complete { finish(handler) }
    }

    func sendBody(_ bytes: [UInt8], complete: Bool) {
        guard let handler = liveHandler else { return }
        if !isHead { handler.writeBody(bytes, chunked: chunked) }
        if complete { finish(handler) }
    }

    private func finish(_ handler: HTTP1Handler) {
        completed = true
        self.handler = nil
        handler.finishExchange(chunked: chunked)
    }

    var bufferedBodyBytes: Int { handler?.queuedBytes ?? 0 }

    func whenWritable(_ callback: @escaping (Bool) -> Void) {
        guard let handler = liveHandler else { return callback(false) }
        handler.whenWritable(callback)
    }

    /// Server shutdown: a streamed response ends cleanly (its task is cancelled).
    func cancelStream() {
        if chunked { task?.cancel() }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        handler = nil
        if !completed { task?.cancel() }
        task = nil
    }
}

/// One HTTP/2 stream: the request as it arrives, then the response as it leaves.
///
/// Threading: confined to the connection's loop.
final class HTTP2Stream: ResponseChannel {
    let id: Int32
    /// Strong, and dropped in `close()` (which every way out of the handler's stream table
    /// calls), so the cycle never outlives the stream. Not `weak`: a weak reference gives the
    /// handler a side table, and every retain and release of it then took the slow path.
    private var handler: HTTP2Handler?

    // Request side.
    var method = ""
    var path = ""
    var authority: String?
    var headers = HTTPHeaders()
    var headerBytes = 0
    var body: [UInt8] = []
    var route: Router.Route?
    var parameters: [String: String] = [:]
    var failure: HTTPError?
    var bodyLimit = Router.defaultBodyLimit
    var dispatched = false
    var lastInputProgress: UInt64

    // Response side.
    var pending = ByteBuffer()
    var responseStarted = false
    var responseComplete = false
    var isStreaming = false
    /// The data provider returned DEFERRED and waits for `resume_data`.
    var deferred = false
    var lastOutputProgress: UInt64
    private(set) var isClosed = false
    var task: Task<Void, Never>?
    private var writableWaiters: [(Bool) -> Void] = []

    init(id: Int32, handler: HTTP2Handler, now: UInt64) {
        self.id = id
        self.handler = handler
        headers.reserveCapacity(8)
        lastInputProgress = now
        lastOutputProgress = now
    }

    func sendHead(status: Int, headers: HTTPHeaders, requestID: String, body: [UInt8], complete: Bool) {
        guard !isClosed, !responseStarted, let handler else { return }
        responseStarted = true
        responseComplete = complete
        isStreaming = !complete
        pending.append(contentsOf: body)
        handler.submitResponse(for: self, status: status, headers: headers, requestID: requestID)
    }

    func sendBody(_ bytes: [UInt8], complete: Bool) {
        guard !isClosed, responseStarted, !responseComplete, let handler else { return }
        pending.append(contentsOf: bytes)
        responseComplete = complete
        handler.resume(self)
    }

    var bufferedBodyBytes: Int { pending.count }

    func whenWritable(_ callback: @escaping (Bool) -> Void) {
        if isClosed { return callback(false) }
        writableWaiters.append(callback)
    }

    /// Moves up to `max` pending bytes into `destination`; returns how many.
    func drain(into destination: UnsafeMutableRawBufferPointer, now: UInt64) -> Int {
        let n = min(destination.count, pending.count)
        if n > 0 {
            pending.withReadableBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            pending.consume(n)
            lastOutputProgress = now
        }
        if pending.count < StreamWatermark.low && !writableWaiters.isEmpty {
            let waiters = writableWaiters
            writableWaiters.removeAll()
            for waiter in waiters { waiter(true) }
        }
        return n
    }

    /// Server shutdown: ends a streamed response by cancelling its producer, which then
    /// finishes the body cleanly.
    func cancelStream() {
        if isStreaming && !responseComplete { task?.cancel() }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        handler = nil
        pending.removeAll()
        if !responseComplete { task?.cancel() }
        task = nil
        let waiters = writableWaiters
        writableWaiters.removeAll()
        for waiter in waiters { waiter(false) }
    }
}

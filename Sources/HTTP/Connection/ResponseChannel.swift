/// The write side of one request's exchange: an HTTP/2 stream or an HTTP/1.1 response slot.
///
/// Threading: confined to the connection's loop. Once the peer or the connection is gone,
/// `isClosed` is true and sends are dropped.
protocol ResponseChannel: AnyObject {
    /// Starts the response. `requestID` goes out as `x-request-id`.
    func sendHead(status: Int, headers: HTTPHeaders, requestID: String, body: [UInt8], complete: Bool)
    func sendBody(_ bytes: [UInt8], complete: Bool)
    /// Body bytes accepted but not yet handed to the socket.
    var bufferedBodyBytes: Int { get }
    var isClosed: Bool { get }
    /// Called once when buffered output drains below the low-water mark (`true`) or the channel
    /// closes (`false`).
    func whenWritable(_ callback: @escaping (Bool) -> Void)
    /// The task producing the response, cancelled when the channel closes before the response
    /// completed (or, for a streamed body, when the server shuts down).
    var task: Task<Void, Never>? { get set }
}

/// Holds a loop-confined value so it can travel inside a `Sendable` closure or task.
struct LoopBound<Value>: @unchecked Sendable {
    // Safety: `value` is only read through `get`, which checks that the caller is on the loop
    // that owns the value.
    let loop: EventLoop
    private let stored: Value

    init(_ value: Value, loop: EventLoop) {
        self.loop = loop
        self.stored = value
    }

    var value: Value {
        precondition(loop.inEventLoop, "loop-bound value used off its loop")
        return stored
    }
}

/// Output-buffer marks for streamed bodies: a writer waits above `high` until below `low`.
enum StreamWatermark {
    static let high = 256 * 1024
    static let low = 64 * 1024
}

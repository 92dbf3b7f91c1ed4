/// The HTTP layer of one connection: HTTP/1.1 or HTTP/2. The `Connection` owns the socket and
/// the transport and moves bytes; the handler turns them into requests and responses.
///
/// Threading: confined to the connection's loop.
protocol ProtocolHandler: AnyObject {
    /// Takes bytes read from the transport.
    func received(_ bytes: UnsafeRawBufferPointer)
    /// Moves output ready for the wire into `output`, up to about `limit` bytes in total.
    func produceOutput(into output: inout ByteBuffer, limit: Int)
    /// False while the handler wants no more input for now (back-pressure) or ever.
    var wantsRead: Bool { get }
    /// True once everything is sent and the connection should close.
    var isFinished: Bool { get }
    /// True while a request is being received or answered.
    var hasActiveRequests: Bool { get }
    /// Stop taking new requests, finish the ones in flight, then finish.
    func beginGracefulShutdown()
    /// Acts on expired per-request deadlines; returns the next deadline, or nil for none.
    func checkTimeouts(now: UInt64) -> UInt64?
    /// The connection is gone: close every channel so waiting handlers are released.
    func connectionClosed()
}

/// Per-connection limits and timeouts, in bytes and milliseconds.
public struct ConnectionLimits: Sendable {
    public var handshakeTimeout: UInt64 = 10_000
    public var headerTimeout: UInt64 = 10_000
    public var idleTimeout: UInt64 = 75_000
    public var readTimeout: UInt64 = 30_000
    public var writeTimeout: UInt64 = 30_000
    public var maxHeaderListSize = 32 * 1024
    public var maxConcurrentStreams: UInt32 = 128
    public var maxPipelinedBytes = 64 * 1024
    /// Output queued for the socket beyond which the connection stops reading.
    public var outputHighWater = 1 << 20
    public var maxLineLength = 8 * 1024
    public var maxHeaderCount = 100
    public var lingerTimeout: UInt64 = 2_000

    public init() {}
}

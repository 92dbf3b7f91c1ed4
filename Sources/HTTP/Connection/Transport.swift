internal import CLinux

#if canImport(Glibc)
    import Glibc
#endif

enum HandshakeProgress {
    case done
    case needsRead
    case needsWrite
    case failed(String)
}

/// The byte pipe under a connection: a plain socket or TLS over it.
///
/// Threading: confined to the connection's loop.
protocol Transport: AnyObject {
    func handshake() -> HandshakeProgress
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult
    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult
    /// True when the last read or write could only go on once the socket is writable.
    var needsWritable: Bool { get }
    /// The protocol chosen by ALPN, if any.
    var negotiatedProtocol: String? { get }
    var peerCertificate: PeerCertificate? { get }
    /// Best-effort orderly close (TLS close_notify); never blocks.
    func shutdown()
}

final class PlainTransport: Transport {
    private let fd: Int32

    init(fd: Int32) { self.fd = fd }

    func handshake() -> HandshakeProgress { .done }
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult { Socket.read(fd, into: buffer) }
    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult { Socket.write(fd, bytes) }
    var needsWritable: Bool { false }
    var negotiatedProtocol: String? { nil }
    var peerCertificate: PeerCertificate? { nil }
    func shutdown() { Glibc.shutdown(fd, Int32(SHUT_WR)) }
}

/// What a closed connection keeps in place of its transport: nothing to read, write or free.
final class ClosedTransport: Transport, Sendable {
    static let shared = ClosedTransport()

    func handshake() -> HandshakeProgress { .failed("connection closed") }
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult { .closed }
    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult { .closed }
    var needsWritable: Bool { false }
    var negotiatedProtocol: String? { nil }
    var peerCertificate: PeerCertificate? { nil }
    func shutdown() {}
}

internal import COpenSSL

/// One server-side TLS session on a non-blocking socket.
///
/// Lifecycle: created per accepted connection, freed with it. Threading: its loop only.
final class TLSTransport: Transport {
    private let ssl: OpaquePointer
    private(set) var needsWritable = false
    private(set) var negotiatedProtocol: String?
    private(set) var peerCertificate: PeerCertificate?

    init(context: TLSContext, fd: Int32) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else { throw .drainingQueue("SSL_new") }
        self.ssl = ssl
        guard SSL_set_fd(ssl, fd) == 1 else { throw .drainingQueue("SSL_set_fd") }
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    func handshake() -> HandshakeProgress {
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            readHandshakeResults()
            return .done
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .needsRead
        case SSL_ERROR_WANT_WRITE: return .needsWrite
        default:
            let reason = OpenSSLErrorQueue.drain()
            return .failed(reason)
        }
    }

    private func readHandshakeResults() {
        var name: UnsafePointer<UInt8>? = nil
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &name, &length)
        if let name, length > 0 {
            negotiatedProtocol = String(decoding: UnsafeBufferPointer(start: name, count: Int(length)), as: UTF8.self)
        }
        if let certificate = SSL_get0_peer_certificate(ssl), SSL_get_verify_result(ssl) == X509_V_OK {
            peerCertificate = PeerCertificate(x509: certificate)
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        needsWritable = false
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n > 0 { return .processed(Int(n)) }
        return classify(n)
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        needsWritable = false
        guard !bytes.isEmpty else { return .processed(0) }
        let n = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, 1 << 20)))
        if n > 0 { return .processed(Int(n)) }
        return classify(n)
    }

    private func classify(_ result: Int32) -> IOResult {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .wouldBlock
        case SSL_ERROR_WANT_WRITE:
            needsWritable = true
            return .wouldBlock
        default:
            // Leave nothing in this thread's error queue for the next connection to trip on.
            ERR_clear_error()
            return .closed
        }
    }

    func shutdown() {
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }
}

internal import COpenSSL
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small blocking HTTP/1.1 client over TLS (or cleartext) for command-line tools such as
/// `palisadectl`: one request per connection, the server verified against a given CA bundle
/// (or the system store), bounded in time and size. Never use it on an event loop.
public final class BlockingHTTPClient: @unchecked Sendable {
    // Safety (@unchecked Sendable): the SSL_CTX is configured in init and never changed; each
    // request uses its own socket and SSL object.

    public struct Configuration: Sendable {
        public var host: String
        public var port: UInt16
        public var useTLS = true
        /// PEM bundle to trust; nil trusts the system store.
        public var trustedCAPath: String?
        /// Client certificate and key (PEM) for mutual TLS.
        public var clientCertificate: (certificatePath: String, keyPath: String)?
        public var timeoutSeconds = 30
        public var maximumResponseBytes = 64 << 20

        public init(host: String, port: UInt16) {
            self.host = host
            self.port = port
        }
    }

    public struct Response: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: [UInt8]
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public let configuration: Configuration
    private let context: OpaquePointer?

    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        guard configuration.useTLS else {
            context = nil
            return
        }
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.drainingQueue("SSL_CTX_new") }
        self.context = context
        _ = palisade_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        let loaded =
            if let ca = configuration.trustedCAPath {
                SSL_CTX_load_verify_locations(context, ca, nil)
            } else {
                SSL_CTX_set_default_verify_paths(context)
            }
        guard loaded == 1 else { throw TLSError.drainingQueue("load trusted CA certificates") }
        if let identity = configuration.clientCertificate {
            guard SSL_CTX_use_certificate_chain_file(context, identity.certificatePath) == 1,
                SSL_CTX_use_PrivateKey_file(context, identity.keyPath, SSL_FILETYPE_PEM) == 1
            else { throw TLSError.drainingQueue("load client certificate") }
        }
        let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        _ = SSL_CTX_set_alpn_protos(context, alpn, UInt32(alpn.count))
    }

    deinit { if let context { SSL_CTX_free(context) } }

    /// Sends one request and reads the whole response.
    public func send(method: String, path: String, headers: HTTPHeaders = [:], body: [UInt8] = []) throws -> Response {
        let connection = try ClientConnection(configuration: configuration, context: context)
        defer { connection.close() }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(configuration.host)\r\nConnection: close\r\n"
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" {
            head += "Content-Length: \(body.count)\r\n"
        }
        try connection.write(Array((head + "\r\n").utf8) + body)
        var reader = ResponseReader(connection: connection, limit: configuration.maximumResponseBytes)
        return try reader.read()
    }

    /// Sends a GET whose response stays open (NDJSON), calling `line` for each line as it
    /// arrives until the server ends the body (returns normally), the connection fails or
    /// times out (throws), or `line` returns false (returns). A non-2xx answer is returned whole.
    @discardableResult
    public func stream(_ path: String, headers: HTTPHeaders = [:], line: (String) throws -> Bool) throws -> Response? {
        let connection = try ClientConnection(configuration: configuration, context: context)
        defer { connection.close() }
        var head = "GET \(path) HTTP/1.1\r\nHost: \(configuration.host)\r\nConnection: close\r\n"
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        try connection.write(Array((head + "\r\n").utf8))
        var reader = ResponseReader(connection: connection, limit: configuration.maximumResponseBytes)
        let (status, responseHeaders) = try reader.readHead()
        guard (200..<300).contains(status), reader.isChunked(responseHeaders) else {
            return Response(status: status, headers: responseHeaders, body: [])
        }
        var pending: [UInt8] = []
        while let chunk = try reader.nextChunk() {
            pending += chunk
            while let newline = pending.firstIndex(of: 0x0A) {
                let text = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if try !line(text) { return nil }
            }
            guard pending.count <= configuration.maximumResponseBytes else {
                throw Failure(description: "a streamed line is longer than \(configuration.maximumResponseBytes) bytes")
            }
        }
        return nil
    }
}

/// One connected socket, with TLS when a context is given.
final class ClientConnection {
    private let fd: Int32
    private var ssl: OpaquePointer?

    init(configuration: BlockingHTTPClient.Configuration, context: OpaquePointer?) throws {
        fd = try Self.connect(configuration.host, configuration.port, timeout: configuration.timeoutSeconds)
        guard let context else { return }
        guard let ssl = SSL_new(context) else {
            Glibc.close(fd)
            throw TLSError.drainingQueue("SSL_new")
        }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        let host = configuration.host
        let isAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        if isAddress {
            _ = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            _ = palisade_SSL_set_tlsext_host_name(ssl, host)
            _ = SSL_set1_host(ssl, host)
        }
        guard SSL_connect(ssl) == 1 else {
            let verify = SSL_get_verify_result(ssl)
            let reason =
                verify == X509_V_OK
                ? OpenSSLErrorQueue.drain() : String(cString: X509_verify_cert_error_string(verify))
            close()
            throw BlockingHTTPClient.Failure(
                description: "TLS handshake with \(host):\(configuration.port) failed: \(reason)")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { buffer -> Int in
                if let ssl { return Int(SSL_write(ssl, buffer.baseAddress, Int32(buffer.count))) }
                return Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw BlockingHTTPClient.Failure(description: "the server closed the connection") }
            offset += n
        }
    }

    /// Up to `count` bytes; empty at end of stream.
    func read(_ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { raw -> Int in
            if let ssl { return Int(SSL_read(ssl, raw.baseAddress, Int32(count))) }
            return Glibc.recv(fd, raw.baseAddress, count, 0)
        }
        if n > 0 { return Array(buffer[0..<n]) }
        if let ssl, n < 0, SSL_get_error(ssl, Int32(n)) != SSL_ERROR_ZERO_RETURN, errno == EAGAIN {
            throw BlockingHTTPClient.Failure(description: "timed out waiting for the server")
        }
        if ssl == nil, n < 0 { throw BlockingHTTPClient.Failure(description: "read failed: errno \(errno)") }
        return []
    }

    func close() {
        if let ssl {
            SSL_free(ssl)
            self.ssl = nil
        }
        Glibc.close(fd)
    }

    private static func connect(_ host: String, _ port: UInt16, timeout: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw BlockingHTTPClient.Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            var limit = timeval(tv_sec: timeout, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            Glibc.close(fd)
        }
        throw BlockingHTTPClient.Failure(description: "cannot connect to \(host):\(port)")
    }
}

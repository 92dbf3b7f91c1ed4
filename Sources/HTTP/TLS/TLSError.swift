internal import COpenSSL

/// A TLS setup or handshake failure, with OpenSSL's drained error queue as the reason.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let reason: String

    public var description: String { "\(operation): \(reason)" }

    /// Builds an error from OpenSSL's thread-local error queue, draining it so the next call on
    /// this thread starts clean.
    static func drainingQueue(_ operation: String) -> TLSError {
        TLSError(operation: operation, reason: OpenSSLErrorQueue.drain())
    }
}

/// OpenSSL's thread-local error queue, read as text (shared with the PKI code).
public enum OpenSSLErrorQueue {
    /// Every queued error as one line; the queue is empty afterwards.
    public static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return reasons.isEmpty ? "unknown error" : reasons.joined(separator: "; ")
    }
}

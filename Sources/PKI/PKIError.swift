import HTTP

/// A failure creating, signing or storing key material. The description never includes key
/// bytes; OpenSSL's reason strings name the failing step only.
public struct PKIError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let reason: String

    public var description: String { "\(operation): \(reason)" }

    static func openSSL(_ operation: String) -> PKIError {
        PKIError(operation: operation, reason: OpenSSLErrorQueue.drain())
    }
}

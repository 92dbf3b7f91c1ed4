import Foundation

/// One HTTP request as handlers see it, the same over HTTP/2 and HTTP/1.1.
public struct Request: Sendable {
    public let id: String
    public let method: String
    /// The path without the query string, still percent-encoded.
    public let path: String
    public let query: QueryParameters
    public let headers: HTTPHeaders
    public var body: [UInt8]
    public let remoteAddress: SocketAddress?
    /// The verified client certificate, on listeners that require one.
    public let peerCertificate: PeerCertificate?
    /// `"2"` or `"1.1"` (or `"1.0"`).
    public let httpVersion: String
    /// Values of `{name}` segments of the matched route, percent-decoded.
    public var pathParameters: [String: String] = [:]

    public init(
        id: String, method: String, target: String, headers: HTTPHeaders, body: [UInt8] = [],
        remoteAddress: SocketAddress? = nil, peerCertificate: PeerCertificate? = nil, httpVersion: String = "2"
    ) {
        self.id = id
        self.method = method
        let (path, queryString) = Self.split(target)
        self.path = path
        self.query = QueryParameters(parsing: queryString)
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.peerCertificate = peerCertificate
        self.httpVersion = httpVersion
    }

    private static func split(_ target: String) -> (String, Substring) {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target, "") }
        return (String(target[..<mark]), target[target.utf8.index(after: mark)...])
    }
}

/// `?a=1&b=two` decoded (`+` as space, percent escapes), in order, bounded in count.
public struct QueryParameters: Sendable {
    public static let maximumCount = 64
    public private(set) var items: [(name: String, value: String)] = []

    init(parsing query: Substring) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true).prefix(Self.maximumCount) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            items.append((name, value))
        }
    }

    public subscript(name: String) -> String? { items.first { $0.name == name }?.value }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

extension Request {
    /// The client's address without the port, for the audit log and rate limits.
    public var sourceAddress: String {
        guard let address = remoteAddress?.description else { return "unknown" }
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<end])
        }
        return address.split(separator: ":").first.map(String.init) ?? address
    }
}

import Foundation

/// The parsed head of an HTTP/1.x request, after the framing rules were checked.
struct HTTP1RequestHead: Equatable {
    var method: String
    var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    var minorVersion: Int
    var headers: HTTPHeaders
    var contentLength: Int?
    var isChunked: Bool

    var keepAlive: Bool {
        let connection = headers.values("connection").joined(separator: ",").lowercased()
        if minorVersion == 0 { return connection.contains("keep-alive") }
        return !connection.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "close" }
    }

    var expectsContinue: Bool { headers["expect"]?.lowercased() == "100-continue" }

    var hasBody: Bool { isChunked || (contentLength ?? 0) > 0 }

    static func == (lhs: HTTP1RequestHead, rhs: HTTP1RequestHead) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.minorVersion == rhs.minorVersion
            && lhs.headers.fields.elementsEqual(rhs.headers.fields, by: { $0 == $1 })
            && lhs.contentLength == rhs.contentLength && lhs.isChunked == rhs.isChunked
    }
}

/// Why a request could not be parsed. Every case answers 400 and closes the connection.
enum HTTP1ParseError: Error, Equatable {
    case lineTooLong
    case malformedRequestLine
    case unsupportedVersion
    case malformedHeader
    case tooManyHeaders
    case invalidContentLength
    case conflictingFraming
    case unsupportedTransferEncoding
    case missingHost
    case malformedChunk

    var detail: String {
        switch self {
        case .lineTooLong: return "A request or header line is longer than the server accepts."
        case .malformedRequestLine: return "The request line is malformed."
        case .unsupportedVersion: return "Only HTTP/1.0 and HTTP/1.1 are supported on this framing."
        case .malformedHeader: return "A header field is malformed."
        case .tooManyHeaders: return "The request has too many header fields."
        case .invalidContentLength: return "Content-Length is invalid or repeated."
        case .conflictingFraming: return "Content-Length and Transfer-Encoding must not both be present."
        case .unsupportedTransferEncoding: return "Only 'Transfer-Encoding: chunked' is supported."
        case .missingHost: return "HTTP/1.1 requests need exactly one Host header."
        case .malformedChunk: return "The chunked body is malformed."
        }
    }
}

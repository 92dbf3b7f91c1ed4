/// A strict, incremental HTTP/1.x request parser: a state machine over a `ByteBuffer`.
///
/// Strict on purpose, because lenient parsers in front of one another are how requests get
/// smuggled: lines must end in CRLF (no bare CR or LF anywhere), no obsolete line folding, no
/// whitespace before a header colon, one Content-Length at most, never both Content-Length and
/// Transfer-Encoding, and `chunked` as the only transfer coding.
struct HTTP1Parser {
    struct Limits {
        var maxLineLength = 8 * 1024
        var maxHeaderCount = 100
    }

    enum Event: Equatable {
        case head(HTTP1RequestHead)
        case body([UInt8])
        case end
    }

    private enum State {
        case requestLine
        case headers(HTTP1RequestHead, count: Int)
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(count: Int)
        /// The request is whole; the next call reports `.end`.
        case complete
        case ended
    }

    let limits: Limits
    private var state = State.requestLine

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    var hasEnded: Bool {
        if case .ended = state { return true }
        return false
    }

    /// Makes the parser ready for the next request on the connection.
    mutating func reset() { state = .requestLine }

    /// Consumes what it can from `buffer` and returns the next event, or nil when it needs more
    /// bytes. After `.end` it returns nil until `reset()`.
    mutating func next(_ buffer: inout ByteBuffer) throws(HTTP1ParseError) -> Event? {
        while true {
            switch state {
            case .complete:
                state = .ended
                return .end
            case .ended:
                return nil
            case .requestLine:
                guard let line = try takeLine(&buffer) else { return nil }
                if line.isEmpty { continue }  // RFC 9112 §2.2: ignore a CRLF before the request line.
                state = .headers(try Self.parseRequestLine(line), count: 0)
            case .headers(var head, let count):
                guard let line = try takeLine(&buffer) else { return nil }
                if line.isEmpty {
                    try Self.validateFraming(&head)
                    if head.isChunked {
                        state = .chunkSize
                    } else if let length = head.contentLength, length > 0 {
                        state = .fixedBody(remaining: length)
                    } else {
                        state = .complete
                    }
                    return .head(head)
                }
                guard count < limits.maxHeaderCount else { throw .tooManyHeaders }
                let (name, value) = try Self.parseHeaderLine(line)
                head.headers.add(name: name, value: value)
                state = .headers(head, count: count + 1)
            case .fixedBody(let remaining):
                guard !buffer.isEmpty else { return nil }
                let n = min(remaining, buffer.count)
                let bytes = buffer.read(n)
                state = remaining == n ? .complete : .fixedBody(remaining: remaining - n)
                return .body(bytes)
            case .chunkSize:
                guard let line = try takeLine(&buffer) else { return nil }
                let size = try Self.parseChunkSize(line)
                state = size == 0 ? .trailers(count: 0) : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard !buffer.isEmpty else { return nil }
                let n = min(remaining, buffer.count)
                let bytes = buffer.read(n)
                state = remaining == n ? .chunkDataEnd : .chunkData(remaining: remaining - n)
                return .body(bytes)
            case .chunkDataEnd:
                guard buffer.count >= 2 else { return nil }
                guard buffer[0] == 0x0D && buffer[1] == 0x0A else { throw .malformedChunk }
                buffer.consume(2)
                state = .chunkSize
            case .trailers(let count):
                guard let line = try takeLine(&buffer) else { return nil }
                if line.isEmpty {
                    state = .complete
                    continue
                }
                guard count < limits.maxHeaderCount else { throw .tooManyHeaders }
                _ = try Self.parseHeaderLine(line)  // validated, then dropped: trailers carry nothing we use
                state = .trailers(count: count + 1)
            }
        }
    }

    /// The next CRLF-terminated line without its CRLF, or nil if it has not fully arrived.
    private func takeLine(_ buffer: inout ByteBuffer) throws(HTTP1ParseError) -> [UInt8]? {
        guard let end = buffer.firstCRLF(limit: limits.maxLineLength) else {
            if buffer.count > limits.maxLineLength { throw .lineTooLong }
            // A LF with no CR before it will never become a CRLF: refuse now, not at the timeout.
            for i in 0..<buffer.count where buffer[i] == 0x0A { throw .malformedHeader }
            return nil
        }
        let line = Array(buffer.slice(0..<end))
        buffer.consume(end + 2)
        // A CR or LF inside a line is a bare one: the classic smuggling ingredient.
        if line.contains(0x0D) || line.contains(0x0A) { throw .malformedHeader }
        return line
    }

    static func parseRequestLine(_ line: [UInt8]) throws(HTTP1ParseError) -> HTTP1RequestHead {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte), !parts[1].isEmpty else {
            throw .malformedRequestLine
        }
        let target = parts[1]
        guard target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
            target.first == UInt8(ascii: "/") || Array(target) == [UInt8(ascii: "*")]
        else { throw .malformedRequestLine }
        let minor: Int
        switch String(decoding: parts[2], as: UTF8.self) {
        case "HTTP/1.1": minor = 1
        case "HTTP/1.0": minor = 0
        default: throw .unsupportedVersion
        }
        return HTTP1RequestHead(
            method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: target, as: UTF8.self),
            minorVersion: minor, headers: HTTPHeaders(), contentLength: nil, isChunked: false)
    }

    static func parseHeaderLine(_ line: [UInt8]) throws(HTTP1ParseError) -> (String, String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
            line[..<colon].allSatisfy(isTokenByte)
        else { throw .malformedHeader }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else { throw .malformedHeader }
        return (String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    static func validateFraming(_ head: inout HTTP1RequestHead) throws(HTTP1ParseError) {
        let lengths = head.headers.values("content-length")
        let encodings = head.headers.values("transfer-encoding")
        if !lengths.isEmpty && !encodings.isEmpty { throw .conflictingFraming }
        if lengths.count > 1 { throw .invalidContentLength }
        if let text = lengths.first {
            guard !text.isEmpty, text.count <= 15, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let length = Int(text)
            else { throw .invalidContentLength }
            head.contentLength = length
        }
        if !encodings.isEmpty {
            guard head.minorVersion == 1, encodings.count == 1, encodings[0].lowercased() == "chunked" else {
                throw .unsupportedTransferEncoding
            }
            head.isChunked = true
        }
        if head.minorVersion == 1 && head.headers.values("host").count != 1 { throw .missingHost }
    }

    static func parseChunkSize(_ line: [UInt8]) throws(HTTP1ParseError) -> Int {
        let sizePart = line.prefix { $0 != UInt8(ascii: ";") }
        guard !sizePart.isEmpty, sizePart.count <= 8 else { throw .malformedChunk }
        var size = 0
        for byte in sizePart {
            guard let digit = hexValue(byte) else { throw .malformedChunk }
            size = size * 16 + digit
        }
        return size
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        default: return nil
        }
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

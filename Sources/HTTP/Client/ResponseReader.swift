/// Reads one HTTP/1.1 response: status line and headers (bounded), then a body framed by
/// `Content-Length`, chunked encoding, or the end of the connection.
struct ResponseReader {
    let connection: ClientConnection
    let limit: Int
    private var buffer: [UInt8] = []

    init(connection: ClientConnection, limit: Int) {
        self.connection = connection
        self.limit = limit
    }

    mutating func read() throws -> BlockingHTTPClient.Response {
        let (status, headers) = try readHead()
        let body: [UInt8]
        if isChunked(headers) {
            var collected: [UInt8] = []
            while let chunk = try nextChunk() {
                collected += chunk
                guard collected.count <= limit else { throw tooLarge }
            }
            body = collected
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard length <= limit else { throw tooLarge }
            _ = try fill(until: { $0.count >= length ? 0..<length : nil }, maximum: length)
            body = Array(buffer.prefix(length))
        } else {
            while true {
                let more = try connection.read(64 * 1024)
                if more.isEmpty { break }
                buffer += more
                guard buffer.count <= limit else { throw tooLarge }
            }
            body = buffer
        }
        return .init(status: status, headers: headers, body: body)
    }

    func isChunked(_ headers: HTTPHeaders) -> Bool {
        headers["transfer-encoding"]?.lowercased().contains("chunked") == true
    }

    /// The status line and headers.
    mutating func readHead() throws -> (Int, HTTPHeaders) {
        let headEnd = try fill(until: { $0.firstRange(of: [13, 10, 13, 10]) }, maximum: 64 * 1024)
        let head = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self)
        buffer.removeSubrange(..<headEnd.upperBound)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw BlockingHTTPClient.Failure(description: "the server answered with something that is not HTTP")
        }
        var headers = HTTPHeaders()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(
                name: String(line[..<colon]), value: String(line[line.index(after: colon)...]).trimmingSpaces)
        }
        return (status, headers)
    }

    var tooLarge: BlockingHTTPClient.Failure {
        BlockingHTTPClient.Failure(description: "the response is larger than \(limit) bytes")
    }

    /// Reads until `found` locates something in the buffer, or fails past `maximum` bytes.
    mutating func fill(until found: ([UInt8]) -> Range<Int>?, maximum: Int) throws -> Range<Int> {
        while true {
            if let range = found(buffer) { return range }
            guard buffer.count <= maximum + 4 else { throw tooLarge }
            let more = try connection.read(64 * 1024)
            guard !more.isEmpty else {
                throw BlockingHTTPClient.Failure(description: "the server closed the connection mid-response")
            }
            buffer += more
        }
    }

    /// The next chunk of a chunked body, or nil after the last one.
    mutating func nextChunk() throws -> [UInt8]? {
        let line = try fill(until: { $0.firstRange(of: [13, 10]) }, maximum: 1024)
        let sizeText = String(decoding: buffer[..<line.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
        guard let size = Int(sizeText.trimmingSpaces, radix: 16), size >= 0, size <= limit else {
            throw BlockingHTTPClient.Failure(description: "malformed chunked response")
        }
        buffer.removeSubrange(..<line.upperBound)
        if size == 0 { return nil }
        _ = try fill(until: { $0.count >= size + 2 ? 0..<(size + 2) : nil }, maximum: size + 2)
        let chunk = Array(buffer[..<size])
        buffer.removeSubrange(..<(size + 2))
        return chunk
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

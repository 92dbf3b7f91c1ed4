import Testing

@testable import HTTP

@Suite("HTTP/1.1 parser")
struct HTTP1ParserTests {
    /// Feeds `text` in pieces of `step` bytes and collects every event.
    func parse(_ text: String, step: Int = .max) throws(HTTP1ParseError) -> [HTTP1Parser.Event] {
        var parser = HTTP1Parser()
        var buffer = ByteBuffer()
        var events: [HTTP1Parser.Event] = []
        let bytes = Array(text.utf8)
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + step)
            buffer.append(contentsOf: bytes[offset..<end])
            offset = end
            while let event = try parser.next(&buffer) { events.append(event) }
        } while offset < bytes.count
        return events
    }

    func body(_ events: [HTTP1Parser.Event]) -> [UInt8] {
        events.flatMap { event -> [UInt8] in
            if case .body(let bytes) = event { return bytes }
            return []
        }
    }

    @Test("a GET without a body is a head then an end")
    func simpleGet() throws {
        let events = try parse("GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n")
        guard case .head(let head) = events.first else {
            Issue.record("no head")
            return
        }
        #expect(head.method == "GET" && head.target == "/healthz?x=1" && head.minorVersion == 1)
        #expect(head.headers["accept"] == "*/*")
        #expect(head.keepAlive)
        #expect(events.last == .end && events.count == 2)
    }

    @Test("bodies arrive whole however the bytes are split", arguments: [1, 3, 7, 1000])
    func fixedAndChunkedBodies(step: Int) throws {
        let fixed = try parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", step: step)
        #expect(body(fixed) == Array("hello world".utf8))
        #expect(fixed.last == .end)
        let chunked = try parse(
            "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n",
            step: step)
        #expect(body(chunked) == Array("hello world".utf8))
        #expect(chunked.last == .end)
    }

    @Test("HTTP/1.0 closes unless it asks for keep-alive; 1.1 closes when asked")
    func keepAlive() throws {
        func head(_ text: String) throws -> HTTP1RequestHead {
            guard case .head(let head) = try parse(text).first else { throw HTTP1ParseError.malformedRequestLine }
            return head
        }
        #expect(try !head("GET / HTTP/1.0\r\n\r\n").keepAlive)
        #expect(try head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keepAlive)
        #expect(try !head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keepAlive)
    }

    @Test(
        "smuggling shapes and malformed framing are refused",
        arguments: [
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                HTTP1ParseError.conflictingFraming
            ),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", .invalidContentLength),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", .invalidContentLength),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", .unsupportedTransferEncoding),
            ("GET / HTTP/1.1\nHost: a\n\n", .malformedHeader),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .malformedHeader),
            ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", .malformedHeader),
            ("GET / HTTP/1.1\r\n\r\n", .missingHost),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion),
            ("GET x HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine),
            ("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", .malformedChunk),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY", .malformedChunk),
        ])
    func refuses(_ text: String, _ expected: HTTP1ParseError) {
        #expect(throws: expected) { try parse(text) }
    }

    @Test("an endless line is refused once it passes the limit, before it is all buffered")
    func lineLimit() {
        var parser = HTTP1Parser()
        var buffer = ByteBuffer()
        buffer.append("GET / HTTP/1.1\r\nHost: a\r\nX: ")
        buffer.append(contentsOf: [UInt8](repeating: 0x61, count: 9000))
        #expect(throws: HTTP1ParseError.lineTooLong) {
            while try parser.next(&buffer) != nil {}
        }
    }

    @Test("more than 100 header fields are refused")
    func headerCount() {
        let many = (0..<101).map { "X-\($0): v\r\n" }.joined()
        #expect(throws: HTTP1ParseError.tooManyHeaders) { try parse("GET / HTTP/1.1\r\nHost: a\r\n" + many + "\r\n") }
    }

    @Test("after reset the next pipelined request parses from the same buffer")
    func pipelined() throws {
        var parser = HTTP1Parser()
        var buffer = ByteBuffer()
        buffer.append("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        var targets: [String] = []
        for _ in 0..<2 {
            while let event = try parser.next(&buffer) {
                if case .head(let head) = event { targets.append(head.target) }
            }
            #expect(parser.hasEnded)
            parser.reset()
        }
        #expect(targets == ["/a", "/b"])
        #expect(buffer.isEmpty)
    }
}

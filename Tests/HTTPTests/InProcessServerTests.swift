import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// The whole HTTP core started in-process on port 0, driven over a real socket.
@Suite("HTTP server in process")
struct InProcessServerTests {
    func withServer(_ body: (SocketAddress) async throws -> Void) async throws {
        var router = Router()
        router.add("GET", "/hello/{name}") { request in .text("hello \(request.pathParameters["name"]!)") }
        let group = try EventLoopGroup(count: 2)
        router.add("GET", "/thread") { _ in
            .text(group.loops.contains { $0.inEventLoop } ? "on a loop" : "off the loops")
        }
        router.addImmediate("GET", "/immediate/{name}") { request in
            guard request.pathParameters["name"] != "fail" else { throw HTTPError.notFound("no such thing") }
            return .text("at once \(request.pathParameters["name"]!)")
        }
        let streamedCalls = Atomic<Int>(0)
        router.addImmediate("GET", "/immediate-stream") { _ in
            let call = streamedCalls.add(1, ordering: .relaxed).newValue
            return .streaming(contentType: "text/plain") { writer in try await writer.write("call \(call)\n") }
        }
        let sink = MemoryLogSink()
        let server = HTTPServer(
            group: group, router: router,
            listeners: [
                ListenerConfiguration(name: "plain", address: SocketAddress(host: "127.0.0.1", port: 0), tls: nil)
            ],
            logger: Logger(label: "test", level: .info, sink: sink))
        let bound = try await server.start()
        try await body(bound[0])
        await server.shutdown(gracePeriod: .seconds(2))
        group.stop()
        #expect(server.openConnections == 0)
        #expect(sink.all.contains { $0.message == "request" && $0.metadata["http.status"] == "200" })
    }

    func exchange(_ address: SocketAddress, _ request: String) throws -> String {
        try RawHTTP.exchange(port: address.port, request)
    }

    @Test("answers HTTP/1.1 with path parameters, a request id and connection close")
    func answers() async throws {
        try await withServer { address in
            let response = try exchange(address, "GET /hello/world HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.contains("x-request-id: "))
            #expect(response.contains("connection: close\r\n"))
            #expect(response.hasSuffix("\r\n\r\nhello world"))
        }
    }

    @Test("an immediate route answers inline, maps its errors to problem+json, and HEAD gets no body")
    func immediateRoutes() async throws {
        try await withServer { address in
            let ok = try exchange(address, "GET /immediate/now HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(ok.hasPrefix("HTTP/1.1 200 OK\r\n") && ok.contains("x-request-id: "))
            #expect(ok.hasSuffix("\r\n\r\nat once now"))
            let failed = try exchange(
                address, "GET /immediate/fail HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(failed.hasPrefix("HTTP/1.1 404 "))
            #expect(failed.contains("application/problem+json") && failed.contains("no such thing"))
            // An immediate answer that streams is written by a task, without calling the handler again.
            for _ in 0..<2 {
                let streamed = try exchange(
                    address, "GET /immediate-stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                #expect(streamed.contains("transfer-encoding: chunked") && streamed.contains("call "))
            }
            let third = try exchange(
                address, "GET /immediate-stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(third.contains("call 3\n"), "the handler ran once per request")
            let head = try exchange(address, "HEAD /immediate/now HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.hasSuffix("\r\n\r\n"))
        }
    }

    @Test("handlers run on the connection's event loop thread")
    func loopAffinity() async throws {
        try await withServer { address in
            let response = try exchange(address, "GET /thread HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(response.hasSuffix("on a loop"))
        }
    }

    @Test("a HEAD request gets the GET route's headers and no body")
    func head() async throws {
        try await withServer { address in
            let response = try exchange(address, "HEAD /hello/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.hasSuffix("\r\n\r\n"))
        }
    }
}

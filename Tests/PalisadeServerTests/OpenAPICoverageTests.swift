import Foundation
import HTTP
import Logging
import PalisadeServer
import TestSupport
import Testing

/// The OpenAPI document must describe exactly what the server routes: every routed operation
/// documented, every documented operation routed. Runs the whole server in process.
@Suite struct OpenAPICoverageTests {
    @Test func everyRoutedOperationIsDocumentedAndEveryDocumentedOneIsRouted() async throws {
        let database = try await TestDatabase.create()
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-\(UUID())").path
        var configuration = ServerConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        configuration.httpListen = SocketAddress(host: "127.0.0.1", port: 0)
        configuration.enforcerListen = SocketAddress(host: "127.0.0.1", port: 0)
        configuration.databaseURL = database.connectionInfo
        configuration.eventLoops = 1
        let server = try await PalisadeServer.start(
            configuration, logger: Logger(label: "test", level: .warning, sink: MemoryLogSink()))
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let response: String
        do {
            response = try RawHTTP.exchange(
                port: UInt16(server.addresses.plain!.port),
                "GET /v1/openapi.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        } catch {
            await server.stop()
            await database.drop()
            throw error
        }
        await server.stop()
        await database.drop()

        let body = try #require(response.range(of: "\r\n\r\n").map { String(response[$0.upperBound...]) })
        let document = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch"]
        let documented = Set(
            paths.flatMap { path, operations in
                operations.keys.filter(methods.contains).map {
                    PalisadeServer.Route(method: $0.uppercased(), pattern: path)
                }
            })
        let routed = Set(server.routes)
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented))")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed))")
        #expect(routed.count > 40)

        // Every operation says who may call it and what its errors look like.
        for (path, operations) in paths {
            for (method, value) in operations where methods.contains(method) {
                let operation = try #require(value as? [String: Any])
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                #expect(
                    responses["default"] != nil || path == "/v1/openapi.json", "\(method) \(path) has no error response"
                )
                #expect(operation["operationId"] is String, "\(method) \(path) has no operationId")
            }
        }
    }
}

// A server over the real HTTP core with routes that the protocol and abuse tests need (echo,
// slow, streamed and large responses). Prints one JSON line with its bound ports, then serves
// until SIGTERM/SIGINT, then shuts down gracefully and exits 0. Not shipped.
import Foundation
import HTTP
import Logging

let flags: [String: String] = {
    var flags: [String: String] = [:]
    var iterator = CommandLine.arguments.dropFirst().makeIterator()
    while let flag = iterator.next() {
        guard flag.hasPrefix("--"), let value = iterator.next() else {
            FileHandle.standardError.write(Data("usage: http-testbed --cert PEM --key PEM [--NAME-ms N]...\n".utf8))
            exit(64)
        }
        flags[String(flag.dropFirst(2))] = value
    }
    return flags
}()

func milliseconds(_ name: String, _ fallback: UInt64) -> UInt64 { flags[name].flatMap(UInt64.init) ?? fallback }

var limits = ConnectionLimits()
limits.handshakeTimeout = milliseconds("handshake-timeout-ms", limits.handshakeTimeout)
limits.headerTimeout = milliseconds("header-timeout-ms", limits.headerTimeout)
limits.idleTimeout = milliseconds("idle-timeout-ms", limits.idleTimeout)
limits.readTimeout = milliseconds("read-timeout-ms", limits.readTimeout)
limits.writeTimeout = milliseconds("write-timeout-ms", limits.writeTimeout)

var router = Router()
router.add("GET", "/healthz") { _ in .text("ok") }
router.add("POST", "/echo", bodyLimit: 16 << 20) { request in
    Response(status: 200, headers: ["content-type": "application/octet-stream"], body: .bytes(request.body))
}
router.add("POST", "/small") { request in .text("\(request.body.count)") }
router.add("GET", "/sleep") { request in
    let ms = min(Int(request.query["ms"] ?? "100") ?? 100, 60_000)
    try await Task.sleep(for: .milliseconds(ms))
    return .text("slept \(ms)")
}
router.add("GET", "/bytes") { request in
    let count = min(Int(request.query["n"] ?? "1024") ?? 1024, 64 << 20)
    return Response(
        status: 200, headers: ["content-type": "application/octet-stream"],
        body: .bytes([UInt8](repeating: 0x61, count: count)))
}
router.add("GET", "/stream") { request in
    let lines = min(Int(request.query["lines"] ?? "5") ?? 5, 10_000)
    let interval = min(Int(request.query["interval_ms"] ?? "200") ?? 200, 10_000)
    return .streaming(contentType: "application/x-ndjson") { writer in
        for i in 0..<lines {
            if i > 0 { try await Task.sleep(for: .milliseconds(interval)) }
            try await writer.write("{\"line\":\(i)}\n")
        }
    }
}
router.add("GET", "/items/{id}") { request in .text("item \(request.pathParameters["id"] ?? "")") }
router.add("POST", "/fail") { _ in throw HTTPError.invalidField("name", "must not be empty") }
router.add("GET", "/crash") { _ in throw CancellationError() }

let signals = ShutdownSignal()
let sink = StreamLogSink(format: .text)
let logger = Logger(
    label: "testbed", level: Logger.Level(name: flags["log-level"] ?? "warning") ?? .warning, sink: sink)
do {
    var listeners = [ListenerConfiguration(name: "plain", address: SocketAddress(host: "127.0.0.1", port: 0), tls: nil)]
    if let cert = flags["cert"], let key = flags["key"] {
        let tls = try TLSContext(certificateChainPath: cert, privateKeyPath: key)
        listeners.append(
            ListenerConfiguration(name: "tls", address: SocketAddress(host: "127.0.0.1", port: 0), tls: tls))
    }
    let group = try EventLoopGroup(count: Int(flags["loops"] ?? "2") ?? 2)
    let server = HTTPServer(
        group: group, router: router, listeners: listeners, limits: limits,
        maxConnections: Int(flags["max-connections"] ?? "20000") ?? 20000, logger: logger)
    let bound = try await server.start()
    print("{\"plain\":\(bound[0].port)" + (bound.count > 1 ? ",\"tls\":\(bound[1].port)" : "") + "}")
    fflush(nil)
    _ = await signals.wait()
    await server.shutdown(gracePeriod: .seconds(Int(flags["grace-s"] ?? "10") ?? 10))
    group.stop()
    sink.flush()
    exit(0)
} catch {
    FileHandle.standardError.write(Data("http-testbed: \(error)\n".utf8))
    exit(1)
}

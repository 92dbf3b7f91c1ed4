import Foundation
import HTTP
import Logging
import PalisadeServer
import Testing

@Suite("Server configuration")
struct ConfigurationTests {
    @Test("defaults are the documented ones")
    func defaults() throws {
        let configuration = try ServerConfiguration.resolve(arguments: [], environment: [:])
        #expect(configuration.listen == SocketAddress(host: "127.0.0.1", port: 10443))
        #expect(configuration.httpListen == nil)
        #expect(configuration.dataDirectory == "./.palisade")
        #expect(configuration.logLevel == .info && configuration.logFormat == .json)
    }

    @Test("flags beat the environment, which beats the config file, which beats defaults")
    func precedence() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-\(UUID()).json")
        try Data(#"{"listen":"127.0.0.1:1","http_listen":"127.0.0.1:2","log_level":"error","shutdown_grace":3}"#.utf8)
            .write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let configuration = try ServerConfiguration.resolve(
            arguments: ["--config", file.path, "--listen=127.0.0.1:9"],
            environment: ["PALISADE_LISTEN": "127.0.0.1:8", "PALISADE_HTTP_LISTEN": "[::1]:7"])
        #expect(configuration.listen.port == 9)
        #expect(configuration.httpListen == SocketAddress(host: "::1", port: 7))
        #expect(configuration.logLevel == .error)
        #expect(configuration.shutdownGraceSeconds == 3)
    }

    @Test(
        "bad input is a usage error naming the problem",
        arguments: [
            (["--listen", "host:1"], "HOST:PORT"), (["--nope"], "unknown option"),
            (["--log-format", "xml"], "json or text"),
            (["--event-loops", "0"], "1-256"), (["--shutdown-grace", "-1"], "0-600"),
            (["--tls-key", "k"], "go together"),
            (["--data-dir"], "needs a value"),
        ])
    func usageErrors(arguments: [String], fragment: String) {
        do {
            _ = try ServerConfiguration.resolve(arguments: arguments, environment: [:])
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(error.message.contains(fragment))
        }
    }
}

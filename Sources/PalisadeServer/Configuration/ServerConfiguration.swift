import Foundation
import HTTP
import Logging

/// Everything `palisade serve` needs, resolved from flags > environment (`PALISADE_*`) > JSON
/// config file (`--config`) > defaults.
public struct ServerConfiguration: Sendable, Equatable {
    public var dataDirectory = "./.palisade"
    public var listen = SocketAddress(host: "127.0.0.1", port: 10443)
    /// Optional cleartext listener (HTTP/1.1 + h2c), off unless asked for.
    public var httpListen: SocketAddress?
    /// The enforcer channel: TLS 1.3, client certificates from Palisade's CA; nil turns it off.
    public var enforcerListen: SocketAddress? = SocketAddress(host: "127.0.0.1", port: 18400)
    /// libpq URI or conninfo; nil runs the embedded PostgreSQL in the data directory.
    public var databaseURL: String?
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    public var logLevel = Logger.Level.info
    public var logFormat = StreamLogSink.Format.json
    public var shutdownGraceSeconds = 10
    /// Days of events kept; older day partitions are dropped hourly.
    public var eventRetentionDays = 30
    public var eventLoops = EventLoopGroup.coreCount
    /// The console's own files (`Web/`); nil finds them beside the executable or installed.
    public var webDirectory: String?
    /// Where Debian's libjs-chart.js and libjs-d3 put Chart.js and d3, served to the console.
    public var webVendorDirectory = "/usr/share/javascript"

    public init() {}

    /// One setting: its flag, environment variable and config-file key, and how to apply it.
    struct Setting: Sendable {
        let flag: String
        let key: String
        let help: String
        let apply: @Sendable (inout ServerConfiguration, String) throws(UsageError) -> Void

        var environmentName: String { "PALISADE_" + key.uppercased() }
    }

    static let settings: [Setting] = [
        Setting(flag: "--data-dir", key: "data_dir", help: "Directory for the CA, keys and state (default ./.palisade)")
        {
            config, value throws(UsageError) in
            guard !value.isEmpty, value.utf8.count < 4096 else { throw UsageError("--data-dir must be a path") }
            config.dataDirectory = value
        },
        Setting(flag: "--listen", key: "listen", help: "Console and REST API listener, TLS (default 127.0.0.1:10443)") {
            config, value throws(UsageError) in
            config.listen = try address(value, "--listen")
        },
        Setting(
            flag: "--http-listen", key: "http_listen",
            help: "Optional cleartext HTTP/1.1 + h2c listener (off by default)"
        ) {
            config, value throws(UsageError) in
            config.httpListen = try address(value, "--http-listen")
        },
        Setting(
            flag: "--enforcer-listen", key: "enforcer_listen",
            help: "Enforcer channel listener, mutual TLS 1.3 (default 127.0.0.1:18400; 'off' disables it)"
        ) {
            config, value throws(UsageError) in
            config.enforcerListen = value == "off" ? nil : try address(value, "--enforcer-listen")
        },
        Setting(
            flag: "--database-url", key: "database_url",
            help: "PostgreSQL URI or conninfo (default: embedded PostgreSQL in the data dir)"
        ) {
            config, value throws(UsageError) in
            guard !value.isEmpty, value.utf8.count < 4096 else {
                throw UsageError("--database-url must be a libpq URI or conninfo")
            }
            config.databaseURL = value
        },
        Setting(
            flag: "--tls-cert", key: "tls_cert", help: "PEM certificate chain (default: issued by Palisade's own CA)"
        ) {
            config, value throws(UsageError) in
            config.tlsCertificatePath = value
        },
        Setting(flag: "--tls-key", key: "tls_key", help: "PEM private key for --tls-cert") {
            config, value throws(UsageError) in
            config.tlsKeyPath = value
        },
        Setting(
            flag: "--log-level", key: "log_level", help: "trace|debug|info|notice|warning|error|critical (default info)"
        ) {
            config, value throws(UsageError) in
            guard let level = Logger.Level(name: value) else {
                throw UsageError("--log-level: unknown level '\(value)'")
            }
            config.logLevel = level
        },
        Setting(flag: "--log-format", key: "log_format", help: "json|text (default json)") {
            config, value throws(UsageError) in
            guard let format = StreamLogSink.Format(rawValue: value) else {
                throw UsageError("--log-format must be json or text")
            }
            config.logFormat = format
        },
        Setting(
            flag: "--shutdown-grace", key: "shutdown_grace",
            help: "Seconds in-flight requests get on SIGTERM (default 10)"
        ) {
            config, value throws(UsageError) in
            guard let seconds = Int(value), (0...600).contains(seconds) else {
                throw UsageError("--shutdown-grace must be 0-600 seconds")
            }
            config.shutdownGraceSeconds = seconds
        },
        Setting(flag: "--event-retention-days", key: "event_retention_days", help: "Days of events kept (default 30)") {
            config, value throws(UsageError) in
            guard let days = Int(value), (1...3650).contains(days) else {
                throw UsageError("--event-retention-days must be 1-3650")
            }
            config.eventRetentionDays = days
        },
        Setting(flag: "--event-loops", key: "event_loops", help: "Event loop threads (default: one per core)") {
            config, value throws(UsageError) in
            guard let count = Int(value), (1...256).contains(count) else {
                throw UsageError("--event-loops must be 1-256")
            }
            config.eventLoops = count
        },
        Setting(flag: "--web-dir", key: "web_dir", help: "Console files (default: Web/ beside the install)") {
            config, value throws(UsageError) in
            config.webDirectory = try path(value, "--web-dir")
        },
        Setting(
            flag: "--web-vendor-dir", key: "web_vendor_dir",
            help: "Chart.js and d3 from libjs-chart.js, libjs-d3 (default /usr/share/javascript)"
        ) {
            config, value throws(UsageError) in
            config.webVendorDirectory = try path(value, "--web-vendor-dir")
        },
    ]

    private static func path(_ value: String, _ flag: String) throws(UsageError) -> String {
        guard !value.isEmpty, value.utf8.count < 4096, !value.contains("\0") else {
            throw UsageError("\(flag) must be a directory path")
        }
        return value
    }

    private static func address(_ value: String, _ flag: String) throws(UsageError) -> SocketAddress {
        guard let address = SocketAddress(parsing: value) else {
            throw UsageError("\(flag) must be HOST:PORT with a numeric host, e.g. 127.0.0.1:10443 or [::1]:10443")
        }
        return address
    }

    public static var serveHelp: String {
        var text = """
            Usage: palisade serve [options]

            Runs the Palisade server. Every option can also be set as an environment variable
            (shown in brackets) or as a key in the JSON file given with --config.

            Options:
              --config PATH          JSON configuration file [PALISADE_CONFIG]

            """
        for setting in settings {
            let flag = "\(setting.flag) VALUE".padding(toLength: 23, withPad: " ", startingAt: 0)
            text += "  \(flag)\(setting.help) [\(setting.environmentName)]\n"
        }
        text += "  -h, --help             Show this help\n"
        return text
    }
}

/// Bad command-line or configuration input: printed with the usage hint, exit status 64.
public struct UsageError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A value-type logger in the swift-log shape: constant messages, data in dot-keyed metadata.
///
/// Libraries take a `Logger`; only executables decide where lines go (by choosing the sink).
/// Copies are cheap; adding metadata to a copy never affects the original.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { "\($0)" == name.lowercased() }) else { return nil }
            self = level
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public typealias Metadata = [String: String]

    public let label: String
    public var level: Level
    public var metadata: Metadata
    private let sink: any LogSink

    public init(label: String, level: Level = .info, sink: any LogSink) {
        self.label = label
        self.level = level
        self.metadata = [:]
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> String? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    @inlinable
    public func isEnabled(_ level: Level) -> Bool { level >= self.level }

    public func log(_ level: Level, _ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        guard isEnabled(level) else { return }
        var merged = metadata
        for (key, value) in extra() { merged[key] = value }
        sink.write(LogRecord(level: level, label: label, message: message(), metadata: merged))
    }

    public func trace(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.trace, message(), extra())
    }
    public func debug(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.debug, message(), extra())
    }
    public func info(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.info, message(), extra())
    }
    public func notice(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.notice, message(), extra())
    }
    public func warning(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.warning, message(), extra())
    }
    public func error(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.error, message(), extra())
    }
    public func critical(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.critical, message(), extra())
    }
}

/// One log line before formatting.
public struct LogRecord: Sendable {
    public let level: Logger.Level
    public let label: String
    public let message: String
    public let metadata: Logger.Metadata
}

/// Where log records go. Implementations must be safe to call from any thread.
public protocol LogSink: Sendable {
    func write(_ record: LogRecord)
}

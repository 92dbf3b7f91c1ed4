import Synchronization

/// Keeps records in memory so tests can assert on what was logged (and what was not).
public final class MemoryLogSink: LogSink {
    private let records = Mutex<[LogRecord]>([])

    public init() {}

    public func write(_ record: LogRecord) {
        records.withLock { $0.append(record) }
    }

    public var all: [LogRecord] {
        records.withLock { $0 }
    }
}

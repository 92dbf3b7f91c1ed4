import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one line per record to a file descriptor (stderr by default), as JSON or as text.
///
/// Callers never block on the descriptor: lines go into a bounded in-memory queue that one
/// writer thread drains. When the reader of our stderr stalls (a full pipe, a slow log
/// shipper) and the queue reaches its bound, new lines are dropped and counted, and a line
/// saying how many were lost is written once the queue drains. An event loop that logs must
/// never stop serving because nobody reads its logs.
public final class StreamLogSink: LogSink {
    public enum Format: String, Sendable {
        case json, text
    }

    private struct Queue {
        var lines: [[UInt8]] = []
        var bytes = 0
        var dropped = 0
        /// The writer holds lines taken from the queue but not yet written.
        var writing = false
    }

    private let format: Format
    private let fd: Int32
    private let maxQueuedBytes: Int
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)

    public init(format: Format, fd: Int32 = 2, maxQueuedBytes: Int = 4 << 20) {
        self.format = format
        self.fd = fd
        self.maxQueuedBytes = maxQueuedBytes
        let thread = Thread { [self] in
            Thread.current.name = "palisade-log"
            drainForever()
        }
        thread.start()
    }

    public func write(_ record: LogRecord) {
        var line = Array((format == .json ? Self.json(record) : Self.text(record)).utf8)
        line.append(0x0A)
        let queued = queue.withLock { queue -> Bool in
            guard queue.bytes + line.count <= maxQueuedBytes else {
                queue.dropped += 1
                return false
            }
            queue.lines.append(line)
            queue.bytes += line.count
            return queue.lines.count == 1
        }
        if queued { wake.signal() }
    }

    /// Blocks until every queued line is written; for tests and orderly exits.
    public func flush() {
        while queue.withLock({ !$0.lines.isEmpty || $0.writing }) { usleep(1000) }
    }

    private func drainForever() {
        while true {
            wake.wait()
            while true {
                let (lines, dropped) = queue.withLock { queue -> ([[UInt8]], Int) in
                    defer {
                        queue.lines.removeAll(keepingCapacity: true)
                        queue.bytes = 0
                        queue.dropped = 0
                    }
                    queue.writing = !queue.lines.isEmpty || queue.dropped > 0
                    return (queue.lines, queue.dropped)
                }
                if lines.isEmpty && dropped == 0 { break }
                defer { queue.withLock { $0.writing = false } }
                for line in lines { writeFully(line) }
                if dropped > 0 {
                    let note = LogRecord(
                        level: .warning, label: "logging", message: "log lines dropped: output was not keeping up",
                        metadata: ["dropped": "\(dropped)"])
                    writeFully(Array(((format == .json ? Self.json(note) : Self.text(note)) + "\n").utf8))
                }
            }
        }
    }

    private func writeFully(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return  // Nowhere left to report a failing log stream.
                }
                offset += n
            }
        }
    }

    static func timestamp() -> String {
        Date().formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    static func json(_ record: LogRecord) -> String {
        var out = "{\"ts\":\"\(timestamp())\",\"level\":\"\(record.level)\",\"logger\":"
        out += JSONString.quote(record.label) + ",\"msg\":" + JSONString.quote(record.message)
        for key in record.metadata.keys.sorted() {
            out += "," + JSONString.quote(key) + ":" + JSONString.quote(record.metadata[key]!)
        }
        return out + "}"
    }

    static func text(_ record: LogRecord) -> String {
        var out = "\(timestamp()) \(record.level) \(record.label): \(record.message)"
        for key in record.metadata.keys.sorted() {
            out += " \(key)=\(record.metadata[key]!)"
        }
        return out
    }
}

/// JSON string quoting for log lines and small hand-built documents, without going through
/// `JSONEncoder` for every field.
public enum JSONString {
    public static func quote(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

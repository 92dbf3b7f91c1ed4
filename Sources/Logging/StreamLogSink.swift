#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes one line per record to a file descriptor (stderr by default), as JSON or as text.
///
/// Each line goes out in a single `write(2)`, so lines from different threads never interleave.
public struct StreamLogSink: LogSink {
    public enum Format: String, Sendable {
        case json, text
    }

    private let format: Format
    private let fd: Int32

    public init(format: Format, fd: Int32 = 2) {
        self.format = format
        self.fd = fd
    }

    public func write(_ record: LogRecord) {
        let line = format == .json ? Self.json(record) : Self.text(record)
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
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
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
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

// Ingest benchmark client: encodes synthetic event rows in Swift and streams them through the
// Storage COPY path, or writes the very same rows to a file for `psql \copy`. See bench/ingest.sh.
//
//   ingest-bench copy --database-url URL --rows N      prints {"rows":N,"seconds":S}
//   ingest-bench generate --out FILE --rows N
import Foundation
import HTTP
import Logging
import Storage

let columns =
    "occurred_at, kind, severity, enforcer_id, host_id, workload_id, group_name, peer, action, summary, detail"
let kinds = ["network_violation", "process", "file", "threat", "connection"]
let severities = ["info", "low", "medium", "high", "critical"]
let enforcer = UUID(uuidString: "5f0c7d1e-8a5b-4f0e-9a57-4b1e3f2d6c10")!
let start = Date().addingTimeInterval(-3600)

/// Row `i`, appended to `text`: the same bytes in both modes.
func appendRow(_ i: Int, to text: inout PostgresCopyText) {
    text.append(start.addingTimeInterval(Double(i) / 1000))
    text.append(kinds[i % kinds.count])
    text.append(severities[i % severities.count])
    text.append(enforcer)
    text.append("host-\(i % 100)")
    text.append("workload-\(i % 1000)")
    text.append("group-\(i % 50)")
    text.append("10.0.\(i % 256).\(i % 200)")
    text.append(i % 3 == 0 ? "deny" : "allow")
    text.append(
        "connection from workload-\(i % 1000) to 10.0.\(i % 256).\(i % 200):443 \(i % 3 == 0 ? "blocked" : "seen")")
    text.append(#"{"port":443,"protocol":"tcp","bytes":\#(i % 65536)}"#)
    text.endRow()
}

func value(_ flag: String) -> String? {
    guard let index = CommandLine.arguments.firstIndex(of: flag), index + 1 < CommandLine.arguments.count else {
        return nil
    }
    return CommandLine.arguments[index + 1]
}

guard CommandLine.arguments.count > 1, let rows = value("--rows").flatMap(Int.init), rows > 0 else {
    FileHandle.standardError.write(
        Data("usage: ingest-bench copy|generate --rows N (--database-url URL | --out FILE)\n".utf8))
    exit(64)
}

switch CommandLine.arguments[1] {
case "generate":
    guard let out = value("--out"), FileManager.default.createFile(atPath: out, contents: nil),
        let handle = FileHandle(forWritingAtPath: out)
    else {
        FileHandle.standardError.write(Data("ingest-bench: --out FILE is required and must be writable\n".utf8))
        exit(64)
    }
    var text = PostgresCopyText(reservingCapacity: 1 << 20)
    for i in 0..<rows {
        appendRow(i, to: &text)
        if text.bytes.count > 1 << 20 {
            handle.write(Data(text.bytes))
            text.removeAll()
        }
    }
    handle.write(Data(text.bytes))
    try handle.close()
case "copy":
    guard let url = value("--database-url") else {
        FileHandle.standardError.write(Data("ingest-bench: --database-url is required\n".utf8))
        exit(64)
    }
    let group = try EventLoopGroup(count: 1)
    let connection = try await PostgresConnection.connect(url, on: group.loops[0])
    let started = ContinuousClock.now
    let stored = try await connection.copyIn(unsafeSQL: "COPY events (\(columns)) FROM STDIN") { writer in
        var text = PostgresCopyText(reservingCapacity: 1 << 17)
        for i in 0..<rows {
            appendRow(i, to: &text)
            if text.bytes.count > 1 << 16 {
                try await writer.write(text.bytes)
                text.removeAll()
            }
        }
        try await writer.write(text.bytes)
    }
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("{\"rows\":\(stored),\"seconds\":\(seconds)}")
    connection.close()
    group.stop()
default:
    FileHandle.standardError.write(Data("ingest-bench: unknown mode \(CommandLine.arguments[1])\n".utf8))
    exit(64)
}

import Domain
import Foundation
import HTTP

/// One observation an enforcer reports. Which fields are required depends on the kind:
/// - `connection`: src, dst, port, protocol (+ application, bytes, sessions, action, rule_id);
/// - `network_violation`: src, dst (+ port, protocol, application, action, rule_id, severity);
/// - `process`: workload, name (+ path, user, action);
/// - `file`: workload, path (+ name, action);
/// - `threat`: name, severity (+ src, dst, workload).
/// `src`/`dst` are workload ids, or addresses outside any workload.
struct Report: Sendable {
    let kind: EventKind
    let occurredAt: Date?
    let src: String?
    let dst: String?
    let port: Int?
    let `protocol`: String?
    let application: String?
    let bytes: Int64?
    let sessions: Int64?
    let action: String?
    let ruleID: Int64?
    let workload: String?
    let name: String?
    let path: String?
    let user: String?
    let severity: Severity?

    /// Every field a report may carry; its raw value is its bit in the set of fields seen.
    private enum Field: Int {
        case kind, occurredAt, src, dst, port, `protocol`, application, bytes, sessions, action, ruleID, workload,
            name, path, user, severity

        static let byName: [String: Field] = [
            "kind": .kind, "occurred_at": .occurredAt, "src": .src, "dst": .dst, "port": .port,
            "protocol": .protocol, "application": .application, "bytes": .bytes, "sessions": .sessions,
            "action": .action, "rule_id": .ruleID, "workload": .workload, "name": .name, "path": .path,
            "user": .user, "severity": .severity,
        ]
    }

    /// Reads report `index` of a batch straight from the body: unknown and repeated fields are
    /// refused and every field's type checked, each error naming its place (`reports[3].port`).
    /// Values are checked against the kind's rules afterwards, by `validate`.
    init(_ reader: inout JSONReader, at index: Int) throws(HTTPError) {
        guard try reader.peek() == .object else { throw .invalidField("reports[\(index)]", "must be an object") }
        try reader.beginObject()
        var kind: EventKind?
        var occurredAt: Date?
        var src: String?
        var dst: String?
        var `protocol`: String?
        var application: String?
        var action: String?
        var workload: String?
        var name: String?
        var path: String?
        var user: String?
        var port: Int64?
        var bytes: Int64?
        var sessions: Int64?
        var ruleID: Int64?
        var severity: Severity?
        var seen: UInt32 = 0
        while let key = try reader.nextKey() {
            // A local function, not a closure value: the field reads take it as a non-escaping
            // autoclosure, so naming the place costs nothing unless there is an error.
            func place() -> String { "reports[\(index)].\(key)" }
            guard let field = Field.byName[key] else { throw .invalidField(place(), "is not a known field") }
            guard seen & (1 << field.rawValue) == 0 else { throw .invalidField(place(), "appears twice") }
            seen |= 1 << field.rawValue
            switch field {
            case .kind: kind = try reader.enumeration(EventKind.self, field: place())
            case .occurredAt: occurredAt = try reader.timestamp(field: place())
            case .src: src = try reader.string(field: place())
            case .dst: dst = try reader.string(field: place())
            case .port: port = try reader.integer(field: place())
            case .protocol: `protocol` = try reader.string(field: place())
            case .application: application = try reader.string(field: place())
            case .bytes: bytes = try reader.integer(field: place())
            case .sessions: sessions = try reader.integer(field: place())
            case .action: action = try reader.string(field: place())
            case .ruleID: ruleID = try reader.integer(field: place())
            case .workload: workload = try reader.string(field: place())
            case .name: name = try reader.string(field: place())
            case .path: path = try reader.string(field: place())
            case .user: user = try reader.string(field: place())
            case .severity: severity = try reader.enumeration(Severity.self, field: place())
            }
        }
        guard let kind else { throw .invalidField("reports[\(index)].kind", "is required") }
        self.kind = kind
        self.occurredAt = occurredAt
        self.src = src
        self.dst = dst
        self.port = port.map { Int(clamping: $0) }
        self.protocol = `protocol`
        self.application = application
        self.bytes = bytes
        self.sessions = sessions
        self.action = action
        self.ruleID = ruleID
        self.workload = workload
        self.name = name
        self.path = path
        self.user = user
        self.severity = severity
    }

    static let protocols: Set<String> = ["tcp", "udp", "icmp", "any"]
    static let actions: Set<String> = ["allow", "deny", "alert", "learn"]

    /// Checks the kind's required fields and the time, naming the field on failure.
    func validate(at index: Int, now: Date, settings: EnforcerSettings) throws(HTTPError) {
        let field = "reports[\(index)]"
        let required: [(String, Any?)]
        switch kind {
        case .connection: required = [("src", src), ("dst", dst), ("port", port), ("protocol", `protocol`)]
        case .networkViolation: required = [("src", src), ("dst", dst)]
        case .process: required = [("workload", workload), ("name", name)]
        case .file: required = [("workload", workload), ("path", path)]
        case .threat: required = [("name", name), ("severity", severity)]
        case .system: throw .invalidField("\(field).kind", "'system' events are Palisade's own, not reportable")
        }
        for (name, value) in required where value == nil {
            throw .invalidField("\(field).\(name)", "is required for \(kind.rawValue) reports")
        }
        for (name, value, limit) in [
            ("src", src, 253), ("dst", dst, 253), ("workload", workload, 253), ("name", name, 256),
            ("path", path, 1024), ("user", user, 64), ("application", application, 32),
        ] {
            if let value, value.isEmpty || value.utf8.count > limit {
                throw .invalidField("\(field).\(name)", "must be 1-\(limit) bytes long")
            }
        }
        if let port, !(0...65535).contains(port) { throw .invalidField("\(field).port", "must be 0-65535") }
        if let value = `protocol`, !Self.protocols.contains(value) {
            throw .invalidField("\(field).protocol", "must be one of: any, icmp, tcp, udp")
        }
        if let action, !Self.actions.contains(action) {
            throw .invalidField("\(field).action", "must be one of: alert, allow, deny, learn")
        }
        for (name, value) in [("bytes", bytes), ("sessions", sessions)] where (value ?? 0) < 0 {
            throw .invalidField("\(field).\(name)", "must not be negative")
        }
        if let ruleID, ruleID < 1 { throw .invalidField("\(field).rule_id", "must be a rule id") }
        if let occurredAt {
            guard occurredAt <= now.addingTimeInterval(settings.maximumClockSkew),
                occurredAt >= now.addingTimeInterval(-settings.maximumReportAge)
            else {
                throw .invalidField(
                    "\(field).occurred_at",
                    "is more than \(Int(settings.maximumClockSkew)) s ahead or \(Int(settings.maximumReportAge / 86_400)) days behind the server's clock"
                )
            }
        }
    }
}

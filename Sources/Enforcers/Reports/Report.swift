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

    /// Every field a report may carry, by its wire name.
    static let fieldNames: Set<String> = [
        "kind", "occurred_at", "src", "dst", "port", "protocol", "application", "bytes", "sessions", "action",
        "rule_id", "workload", "name", "path", "user", "severity",
    ]

    /// Reads report `index` of a batch from its parsed JSON: unknown fields are refused and every
    /// field's type checked, each error naming its place (`reports[3].port`). Values are checked
    /// against the kind's rules afterwards, by `validate`.
    init(_ value: JSONValue, at index: Int) throws(HTTPError) {
        guard case .object(let object) = value else {
            throw .invalidField("reports[\(index)]", "must be an object")
        }
        if let unknown = object.keys.filter({ !Self.fieldNames.contains($0) }).min() {
            throw .invalidField("reports[\(index)].\(unknown)", "is not a known field")
        }
        let fields = JSONFields(object, path: { "reports[\(index)].\($0)" })
        guard let kind = try fields.enumeration("kind", EventKind.self) else {
            throw .invalidField("reports[\(index)].kind", "is required")
        }
        self.kind = kind
        occurredAt = try fields.timestamp("occurred_at")
        src = try fields.string("src")
        dst = try fields.string("dst")
        port = try fields.integer("port").map { Int(clamping: $0) }
        `protocol` = try fields.string("protocol")
        application = try fields.string("application")
        bytes = try fields.integer("bytes")
        sessions = try fields.integer("sessions")
        action = try fields.string("action")
        ruleID = try fields.integer("rule_id")
        workload = try fields.string("workload")
        name = try fields.string("name")
        path = try fields.string("path")
        user = try fields.string("user")
        severity = try fields.enumeration("severity", Severity.self)
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

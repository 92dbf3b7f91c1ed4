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
struct Report: Decodable, Sendable {
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, src, dst, port, `protocol`, application, bytes, sessions, action, workload, name, path, user
        case severity
        case occurredAt = "occurred_at"
        case ruleID = "rule_id"
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(EventKind.self, forKey: .kind)
        occurredAt = try container.decodeIfPresent(Date.self, forKey: .occurredAt)
        src = try container.decodeIfPresent(String.self, forKey: .src)
        dst = try container.decodeIfPresent(String.self, forKey: .dst)
        port = try container.decodeIfPresent(Int.self, forKey: .port)
        `protocol` = try container.decodeIfPresent(String.self, forKey: .protocol)
        application = try container.decodeIfPresent(String.self, forKey: .application)
        bytes = try container.decodeIfPresent(Int64.self, forKey: .bytes)
        sessions = try container.decodeIfPresent(Int64.self, forKey: .sessions)
        action = try container.decodeIfPresent(String.self, forKey: .action)
        ruleID = try container.decodeIfPresent(Int64.self, forKey: .ruleID)
        workload = try container.decodeIfPresent(String.self, forKey: .workload)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        severity = try container.decodeIfPresent(Severity.self, forKey: .severity)
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

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

    enum CodingKeys: String, CodingKey {
        case kind, src, dst, port, `protocol`, application, bytes, sessions, action, workload, name, path, user
        case severity
        case occurredAt = "occurred_at"
        case ruleID = "rule_id"
    }

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

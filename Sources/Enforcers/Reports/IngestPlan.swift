import Domain
import Foundation
import HTTP

/// What one batch of reports becomes, worked out in memory before anything is written:
/// conversations folded per key, rule hit counts, events for violations and threats, and the
/// observations learning looks at.
struct IngestPlan {
    struct Conversation: Encodable {
        let source: String
        let destination: String
        let port: Int
        let `protocol`: String
        let application: String
        var bytes: Int64
        var sessions: Int64
        var action: String?
        var rule: Int64?
        var seen: String
        var seenDate: Date

        enum CodingKeys: String, CodingKey {
            case source, destination, port, `protocol`, application, bytes, sessions, action, rule, seen
        }
    }

    struct Event {
        let occurredAt: Date
        let kind: EventKind
        let severity: Severity
        let enforcer: String?
        let host: String?
        let workload: String?
        let group: String?
        let peer: String?
        let action: String?
        let summary: String
        let detail: JSONValue
    }

    /// A connection no rule matched, between two endpoints (workload ids or addresses).
    struct Unmatched {
        let source: String
        let destination: String
        let port: String
        let action: String
        let occurredAt: Date
    }

    struct Execution {
        let workload: String
        let name: String
        let path: String
        let user: String
        let action: String
        let occurredAt: Date
    }

    private(set) var conversations: [Conversation] = []
    private(set) var ruleHits: [Int64: (count: Int64, last: Date)] = [:]
    private(set) var events: [Event] = []
    private(set) var unmatched: [Unmatched] = []
    private(set) var executions: [Execution] = []
    let enforcer: String
    let host: String?

    init(_ reports: [Report], snapshot: PolicySnapshot, identity: EnforcerIdentity, now: Date) {
        enforcer = identity.id.uuidString.lowercased()
        host = identity.hostID
        var folded: [String: Int] = [:]
        for report in reports {
            let time = report.occurredAt ?? now
            if let rule = report.ruleID {
                let previous = ruleHits[rule] ?? (0, time)
                ruleHits[rule] = (previous.count + max(1, report.sessions ?? 1), max(previous.last, time))
            }
            switch report.kind {
            case .connection:
                let key = [report.src!, report.dst!, String(report.port!), report.protocol!, report.application ?? ""]
                    .joined(separator: "\u{0}")
                if let index = folded[key] {
                    conversations[index].bytes += report.bytes ?? 0
                    conversations[index].sessions += report.sessions ?? 1
                    if time >= conversations[index].seenDate {
                        conversations[index].action = report.action ?? conversations[index].action
                        conversations[index].rule = report.ruleID ?? conversations[index].rule
                        conversations[index].seen = Timestamp.formatPrecise(time)
                        conversations[index].seenDate = time
                    }
                } else {
                    folded[key] = conversations.count
                    conversations.append(
                        Conversation(
                            source: report.src!, destination: report.dst!, port: report.port!,
                            protocol: report.protocol!, application: report.application ?? "",
                            bytes: report.bytes ?? 0, sessions: report.sessions ?? 1, action: report.action,
                            rule: report.ruleID, seen: Timestamp.formatPrecise(time), seenDate: time))
                }
                if report.ruleID == nil {
                    unmatched.append(
                        Unmatched(
                            source: report.src!, destination: report.dst!,
                            port: "\(report.protocol!)/\(report.port!)", action: report.action ?? "allow",
                            occurredAt: time))
                }
            case .networkViolation:
                let port = report.port.map { "\(report.protocol ?? "tcp")/\($0)" } ?? "any"
                events.append(
                    event(
                        report, time, severity: report.severity ?? .medium, workload: report.dst ?? report.src,
                        snapshot: snapshot, peer: report.src,
                        summary: "\(report.action ?? "deny") \(port) from \(report.src!) to \(report.dst!)"))
            case .process:
                executions.append(
                    Execution(
                        workload: report.workload!, name: report.name!, path: report.path ?? "",
                        user: report.user ?? "", action: report.action ?? "allow", occurredAt: time))
            case .file:
                events.append(
                    event(
                        report, time, severity: report.severity ?? .medium, workload: report.workload,
                        snapshot: snapshot, peer: nil,
                        summary: "file \(report.path!) \(report.action ?? "accessed") in \(report.workload!)"))
            case .threat:
                let route = [report.src.map { "from \($0)" }, report.dst.map { "to \($0)" }].compactMap { $0 }
                events.append(
                    event(
                        report, time, severity: report.severity!, workload: report.workload ?? report.dst,
                        snapshot: snapshot, peer: report.src,
                        summary: ([report.name!] + route).joined(separator: " ")))
            case .system:
                break
            }
        }
    }

    func event(
        _ report: Report, _ time: Date, severity: Severity, workload: String?, snapshot: PolicySnapshot,
        peer: String?, summary: String
    ) -> Event {
        let known = workload.flatMap { snapshot.workloads[$0] == nil ? nil : $0 }
        var detail: [String: JSONValue] = [:]
        for (key, value) in [
            ("src", report.src), ("dst", report.dst), ("application", report.application), ("name", report.name),
            ("path", report.path), ("user", report.user), ("protocol", report.protocol),
        ] {
            if let value { detail[key] = .string(value) }
        }
        if let port = report.port { detail["port"] = .integer(Int64(port)) }
        if let rule = report.ruleID { detail["rule_id"] = .integer(rule) }
        return Event(
            occurredAt: time, kind: report.kind, severity: severity, enforcer: enforcer, host: host, workload: known,
            group: known.flatMap(snapshot.primaryGroup), peer: peer, action: report.action, summary: summary,
            detail: .object(detail))
    }
}

import Foundation
import Logging
import Storage

/// Appends to `audit_log`: who (actor and role), from where, what (method, path, resource) and
/// how it ended (outcome and status). Secrets never reach it: bodies are not recorded.
enum AuditTrail {
    enum Outcome: String {
        case success, failure, denied
    }

    struct Entry {
        let actor: String
        let role: String?
        let source: String
        let method: String
        let path: String
        let resource: String?
        let status: Int
        let code: String?

        var outcome: Outcome {
            switch status {
            case 200..<400: .success
            case 401, 403, 429: .denied
            default: .failure
            }
        }
    }

    /// Records an entry. A failure to record is logged loudly but does not undo the request,
    /// whose own transaction has already committed (see docs/API.md).
    static func record(_ entry: Entry, context: APIContext) async {
        let detail = entry.code.map { #"{"code":"\#($0)"}"# }
        do {
            _ = try await context.pool.query(
                """
                INSERT INTO audit_log (actor, actor_role, source, method, path, resource, outcome, status, detail)
                VALUES (\(entry.actor), \(entry.role), \(entry.source), \(entry.method), \(entry.path),
                        \(entry.resource), \(entry.outcome.rawValue), \(entry.status), \(detail)::jsonb)
                """)
        } catch {
            context.logger.error(
                "audit entry not recorded",
                ["actor": "\(entry.actor)", "path": "\(entry.path)", "error": "\(error)"])
        }
    }
}

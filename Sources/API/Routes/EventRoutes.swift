import Domain
import Foundation
import HTTP
import Storage

/// `/v1/events` (what enforcers saw) and `/v1/audit` (what people and automation did), newest
/// first, with filters.
enum EventRoutes {
    struct Event: Encodable, Sendable {
        let id: Int64
        let occurredAt: Date
        let kind: String
        let severity: String
        @Nullable var enforcerID: String?
        @Nullable var hostID: String?
        @Nullable var workloadID: String?
        @Nullable var group: String?
        @Nullable var peer: String?
        @Nullable var action: String?
        let summary: String
        let detail: JSONValue

        enum CodingKeys: String, CodingKey {
            case id, kind, severity, group, peer, action, summary, detail
            case occurredAt = "occurred_at"
            case enforcerID = "enforcer_id"
            case hostID = "host_id"
            case workloadID = "workload_id"
        }

        init(_ row: PostgresRow) throws {
            id = try row.decode(Int64.self, "id")
            occurredAt = try row.decode(Date.self, "occurred_at")
            kind = try row.decode(String.self, "kind")
            severity = try row.decode(String.self, "severity")
            enforcerID = try row.decode(String?.self, "enforcer_id")
            hostID = try row.decode(String?.self, "host_id")
            workloadID = try row.decode(String?.self, "workload_id")
            group = try row.decode(String?.self, "group_name")
            peer = try row.decode(String?.self, "peer")
            action = try row.decode(String?.self, "action")
            summary = try row.decode(String.self, "summary")
            detail = try row.decodeJSON(JSONValue.self, "detail")
        }
    }

    struct AuditEntry: Encodable, Sendable {
        let id: Int64
        let occurredAt: Date
        let actor: String
        @Nullable var role: String?
        @Nullable var source: String?
        let method: String
        let path: String
        @Nullable var resource: String?
        let outcome: String
        let status: Int
        let detail: JSONValue

        enum CodingKeys: String, CodingKey {
            case id, actor, role, source, method, path, resource, outcome, status, detail
            case occurredAt = "occurred_at"
        }

        init(_ row: PostgresRow) throws {
            id = try row.decode(Int64.self, "id")
            occurredAt = try row.decode(Date.self, "occurred_at")
            actor = try row.decode(String.self, "actor")
            role = try row.decode(String?.self, "actor_role")
            source = try row.decode(String?.self, "source")
            method = try row.decode(String.self, "method")
            path = try row.decode(String.self, "path")
            resource = try row.decode(String?.self, "resource")
            outcome = try row.decode(String.self, "outcome")
            status = try row.decode(Int.self, "status")
            detail =
                try row.decode(String?.self, "detail").map {
                    try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))
                } ?? .object([:])
        }
    }

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/events", .role(.reader), "List events, newest first", tag: "Observation",
                query: QueryParameter.paging + [
                    QueryParameter("kind", .enumeration(EventKind.self), "Only this kind."),
                    QueryParameter("severity", .enumeration(Severity.self), "Only this severity."),
                    QueryParameter("min_severity", .enumeration(Severity.self), "Only this severity or worse."),
                    QueryParameter("group", Components.groupName, "Only events of this group."),
                    QueryParameter("workload", .string(maxLength: 256), "Only events of this workload id."),
                    QueryParameter("host", .string(maxLength: 256), "Only events on this host id."),
                    QueryParameter(
                        "text", .string(maxLength: 256, minLength: 1), "Only events whose summary contains this."),
                    .since, .until,
                ], response: Components.list("Event"), handler: listEvents),
            Endpoint(
                "GET", "/v1/audit", .role(.reader), "List audit entries, newest first", tag: "Observation",
                query: QueryParameter.paging + [
                    QueryParameter("actor", .string(maxLength: 256), "Only this actor (user, api-key:<name>)."),
                    QueryParameter("outcome", .enumeration(["success", "failure", "denied"]), "Only this outcome."),
                    QueryParameter(
                        "method", .enumeration(["POST", "PUT", "PATCH", "DELETE", "CREATE"]), "Only this method."),
                    QueryParameter(
                        "path_prefix", .string(maxLength: 256, minLength: 1), "Only paths starting with this."),
                    .since, .until,
                ], response: Components.list("AuditEntry"), handler: listAudit),
        ]
    }

    /// The columns `Event.init` reads, for every query that returns events.
    static let eventColumns = """
        id, occurred_at, kind, severity, enforcer_id::text AS enforcer_id, host_id, workload_id, group_name, peer,
        action, summary, detail::text AS detail
        """

    /// Events matching a condition written here (never from input), with its binds.
    static func selectEvents(where condition: String, binds: [(any PostgresBindable)?]) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT \(eventColumns) FROM events WHERE \(condition)", binds: binds)
    }

    static func listEvents(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let afterTime = try page.afterString(0)
        let afterID = try page.afterInt(1)
        let severities = request.query("min_severity").flatMap(Severity.init(rawValue:)).map { minimum in
            Severity.allCases.filter { $0 >= minimum }.map(\.rawValue)
        }
        let text = request.query("text")
        let rows = try await request.context.pool.query(
            """
            SELECT \(unsafeRaw: eventColumns), occurred_at::text AS sort_time
            FROM events
            WHERE (\(afterTime)::text IS NULL OR (occurred_at, id) < (\(afterTime)::timestamptz, \(afterID)::bigint))
              AND (\(request.query("kind"))::text IS NULL OR kind = \(request.query("kind")))
              AND (\(request.query("severity"))::text IS NULL OR severity = \(request.query("severity")))
              AND (\(try severities.map(SQLJSON.text))::jsonb IS NULL
                   OR severity IN (SELECT jsonb_array_elements_text(\(try severities.map(SQLJSON.text))::jsonb)))
              AND (\(request.query("group"))::text IS NULL OR group_name = \(request.query("group")))
              AND (\(request.query("workload"))::text IS NULL OR workload_id = \(request.query("workload")))
              AND (\(request.query("host"))::text IS NULL OR host_id = \(request.query("host")))
              AND (\(text)::text IS NULL OR strpos(lower(summary), lower(\(text))) > 0)
              AND (\(request.queryDate("since"))::timestamptz IS NULL OR occurred_at >= \(request.queryDate("since")))
              AND (\(request.queryDate("until"))::timestamptz IS NULL OR occurred_at < \(request.queryDate("until")))
            ORDER BY occurred_at DESC, id DESC LIMIT \(page.limit + 1)
            """)
        let keyed = try rows.map { row in
            let event = try Event(row)
            return (event, [try row.decode(String.self, "sort_time"), String(event.id)])
        }
        return try .json(ListResponse(keyed: keyed, page: page))
    }

    static func listAudit(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let after = try page.afterInt()
        let prefix = request.query("path_prefix")
        let rows = try await request.context.pool.query(
            """
            SELECT id, occurred_at, actor, actor_role, source, method, path, resource, outcome, status, detail::text AS detail
            FROM audit_log
            WHERE (\(after)::bigint IS NULL OR id < \(after))
              AND (\(request.query("actor"))::text IS NULL OR actor = \(request.query("actor")))
              AND (\(request.query("outcome"))::text IS NULL OR outcome = \(request.query("outcome")))
              AND (\(request.query("method"))::text IS NULL OR method = \(request.query("method")))
              AND (\(prefix)::text IS NULL OR starts_with(path, \(prefix)))
              AND (\(request.queryDate("since"))::timestamptz IS NULL OR occurred_at >= \(request.queryDate("since")))
              AND (\(request.queryDate("until"))::timestamptz IS NULL OR occurred_at < \(request.queryDate("until")))
            ORDER BY id DESC LIMIT \(page.limit + 1)
            """)
        return try .json(ListResponse(rows: try rows.map(AuditEntry.init), page: page) { [String($0.id)] })
    }
}

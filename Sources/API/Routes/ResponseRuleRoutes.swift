import Domain
import HTTP
import Storage

/// `/v1/response-rules`: what Palisade does when events arrive (quarantine, webhook, suppress).
enum ResponseRuleRoutes {
    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/response-rules", .role(.reader), "List response rules in order", tag: "Policy",
                query: QueryParameter.paging + [
                    QueryParameter("event_kind", .enumeration(EventKind.self), "Only rules for this event kind.")
                ], response: Components.list("ResponseRule"), handler: list),
            Endpoint(
                "POST", "/v1/response-rules", .role(.operator), "Create a response rule (appended)", tag: "Policy",
                body: .ref("ResponseRuleInput"), status: 201, response: .ref("ResponseRule"), handler: create),
            Endpoint(
                "GET", "/v1/response-rules/{id}", .role(.reader), "Get a response rule", tag: "Policy",
                response: .ref("ResponseRule")
            ) { request in
                let id = try request.idParameter()
                return try await request.context.pool.withConnection {
                    try .resource(try await ResponseRuleStore.fetch(id, $0))
                }
            },
            Endpoint(
                "PUT", "/v1/response-rules/{id}", .role(.operator), "Replace a response rule", tag: "Policy",
                body: .ref("ResponseRuleInput"), response: .ref("ResponseRule"), handler: replace),
            Endpoint(
                "DELETE", "/v1/response-rules/{id}", .role(.operator), "Delete a response rule", tag: "Policy",
                status: 204, response: nil, handler: delete),
        ]
    }

    static func decodeRule(_ request: APIRequest) throws -> ResponseRuleSpec {
        let rule = try request.decodeBody(ResponseRuleSpec.self)
        do { try rule.validate() } catch { throw HTTPError.invalid(error) }
        return rule
    }

    static func list(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let after = try page.afterString()
        if let after, Double(after) == nil { throw HTTPError.invalidField("cursor", "is not a cursor for this list") }
        let rows = try await request.context.pool.query(
            """
            SELECT \(unsafeRaw: ResponseRuleStore.columns) FROM response_rules
            WHERE (\(after)::float8 IS NULL OR position > \(after)::float8)
              AND (\(request.query("event_kind"))::text IS NULL OR event_kind = \(request.query("event_kind")))
            ORDER BY position LIMIT \(page.limit + 1)
            """)
        let keyed = try rows.map { (try ResponseRuleStore.decode($0), [try $0.decode(String.self, "sort_position")]) }
        return try .json(ListResponse(keyed: keyed, page: page))
    }

    static func create(_ request: APIRequest) async throws -> Response {
        let spec = try decodeRule(request)
        let rule = try await request.context.pool.withTransaction { connection in
            try await PolicyRevision.lock(connection)
            let id = try await ResponseRuleStore.insert(spec, connection)
            try await PolicyRevision.bump(connection)
            return try await ResponseRuleStore.fetch(id, connection)
        }
        var response = try Response.resource(rule, status: 201)
        response.headers.add(name: "location", value: "/v1/response-rules/\(rule.id)")
        return response
    }

    static func replace(_ request: APIRequest) async throws -> Response {
        let id = try request.idParameter()
        let spec = try decodeRule(request)
        let rule = try await request.context.pool.withTransaction { connection in
            try ETag.check(request, current: try await ResponseRuleStore.fetch(id, connection, forUpdate: true))
            try await ResponseRuleStore.update(id, to: spec, connection)
            try await PolicyRevision.bump(connection)
            return try await ResponseRuleStore.fetch(id, connection)
        }
        return try .resource(rule)
    }

    static func delete(_ request: APIRequest) async throws -> Response {
        let id = try request.idParameter()
        try await request.context.pool.withTransaction { connection in
            try ETag.check(request, current: try await ResponseRuleStore.fetch(id, connection, forUpdate: true))
            _ = try await connection.query("DELETE FROM response_rules WHERE id = \(id)")
            try await PolicyRevision.bump(connection)
        }
        return .noContent
    }
}

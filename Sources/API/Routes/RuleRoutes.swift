import Domain
import Foundation
import HTTP
import Storage

/// `/v1/rules`: the ordered network rules (first match wins). Learned rules come from
/// discovery; promoting one makes it a user rule that learning no longer touches.
enum RuleRoutes {
    struct Move: Decodable {
        let before: Int64?
        let after: Int64?
    }

    struct RuleList: Decodable {
        let items: [RuleSpec]
    }

    static let placement = [
        QueryParameter("before", .integer(minimum: 1, maximum: .max), "Insert before this rule id."),
        QueryParameter("after", .integer(minimum: 1, maximum: .max), "Insert after this rule id."),
    ]

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/rules", .role(.reader), "List rules in evaluation order", tag: "Policy",
                query: QueryParameter.paging + [
                    QueryParameter("group", Components.groupName, "Only rules from or to this group."),
                    QueryParameter("action", .enumeration(RuleAction.self), "Only rules with this action."),
                    QueryParameter("learned", .boolean, "Only learned (true) or user (false) rules."),
                ], response: Components.list("Rule"), handler: list),
            Endpoint(
                "POST", "/v1/rules", .role(.operator), "Create a rule (at the end, or before/after another)",
                tag: "Policy", query: placement, body: .ref("RuleInput"), status: 201, response: .ref("Rule"),
                handler: create),
            Endpoint(
                "PUT", "/v1/rules", .role(.operator), "Replace every rule with this ordered list", tag: "Policy",
                body: .ref("RuleList"), bodyLimit: 4 << 20, status: 204, response: nil, handler: replaceAll),
            Endpoint("GET", "/v1/rules/{id}", .role(.reader), "Get a rule", tag: "Policy", response: .ref("Rule")) {
                request in
                let id = try request.idParameter()
                return try await request.context.pool.withConnection {
                    try .resource(try await RuleStore.fetch(id, $0))
                }
            },
            Endpoint(
                "PUT", "/v1/rules/{id}", .role(.operator), "Replace a rule (keeps its place and hit count)",
                tag: "Policy", body: .ref("RuleInput"), response: .ref("Rule"), handler: replace),
            Endpoint(
                "DELETE", "/v1/rules/{id}", .role(.operator), "Delete a rule", tag: "Policy", status: 204,
                response: nil, handler: delete),
            Endpoint(
                "POST", "/v1/rules/{id}/move", .role(.operator), "Move a rule before or after another", tag: "Policy",
                body: .ref("RuleMove"), response: .ref("Rule"), handler: move),
            Endpoint(
                "POST", "/v1/rules/{id}/promote", .role(.operator), "Make a learned rule a user rule", tag: "Policy",
                response: .ref("Rule"), handler: promote),
        ]
    }

    static func list(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let after = try page.afterString()
        if let after, Double(after) == nil { throw HTTPError.invalidField("cursor", "is not a cursor for this list") }
        let group = request.query("group")
        let rows = try await request.context.pool.query(
            """
            SELECT \(unsafeRaw: RuleStore.columns) FROM network_rules
            WHERE (\(after)::float8 IS NULL OR position > \(after)::float8)
              AND (\(group)::text IS NULL OR from_group = \(group) OR to_group = \(group))
              AND (\(request.query("action"))::text IS NULL OR action = \(request.query("action")))
              AND (\(request.queryBool("learned"))::boolean IS NULL OR learned = \(request.queryBool("learned")))
            ORDER BY position LIMIT \(page.limit + 1)
            """)
        let keyed = try rows.map { (try RuleStore.decode($0), [try $0.decode(String.self, "sort_position")]) }
        return try .json(ListResponse(keyed: keyed, page: page))
    }

    static func placement(_ before: Int64?, _ after: Int64?) throws(HTTPError) -> RuleStore.Placement {
        switch (before, after) {
        case (nil, nil): return .end
        case (let id?, nil): return .before(id)
        case (nil, let id?): return .after(id)
        default: throw .invalidField("before", "cannot be given together with 'after'")
        }
    }

    static func create(_ request: APIRequest) async throws -> Response {
        let spec = try request.decodeBody(RuleSpec.self)
        let target = try placement(
            request.queryInt("before").map(Int64.init), request.queryInt("after").map(Int64.init))
        let rule = try await request.context.pool.withTransaction { connection in
            try await PolicyRevision.lock(connection)
            let rule = try await RuleStore.validate(spec, connection)
            let id = try await RuleStore.insert(
                rule, at: try await RuleStore.position(for: target, connection), connection)
            try await PolicyRevision.bump(connection)
            return try await RuleStore.fetch(id, connection)
        }
        var response = try Response.resource(rule, status: 201)
        response.headers.add(name: "location", value: "/v1/rules/\(rule.id)")
        return response
    }

    static func replace(_ request: APIRequest) async throws -> Response {
        let id = try request.idParameter()
        let spec = try request.decodeBody(RuleSpec.self)
        let rule = try await request.context.pool.withTransaction { connection in
            try ETag.check(request, current: try await RuleStore.fetch(id, connection, forUpdate: true))
            try await RuleStore.update(id, to: try await RuleStore.validate(spec, connection), connection)
            try await PolicyRevision.bump(connection)
            return try await RuleStore.fetch(id, connection)
        }
        return try .resource(rule)
    }

    static func delete(_ request: APIRequest) async throws -> Response {
        let id = try request.idParameter()
        try await request.context.pool.withTransaction { connection in
            try ETag.check(request, current: try await RuleStore.fetch(id, connection, forUpdate: true))
            _ = try await connection.query("DELETE FROM network_rules WHERE id = \(id)")
            try await PolicyRevision.bump(connection)
        }
        return .noContent
    }

    static func move(_ request: APIRequest) async throws -> Response {
        let id = try request.idParameter()
        let body = try request.decodeBody(Move.self)
        let target = try placement(body.before, body.after)
        guard target != .end else { throw HTTPError.invalidField("before", "or 'after' is required") }
        guard target != .before(id), target != .after(id) else {
            throw HTTPError.invalidField(body.before != nil ? "before" : "after", "cannot name the rule itself")
        }
        let rule = try await request.context.pool.withTransaction { connection in
            try await PolicyRevision.lock(connection)
            try ETag.check(request, current: try await RuleStore.fetch(id, connection, forUpdate: true))
            let position = try await RuleStore.position(for: target, connection)
            _ = try await connection.query(
                "UPDATE network_rules SET position = \(position), updated_at = now() WHERE id = \(id)")
            try await PolicyRevision.bump(connection)
            return try await RuleStore.fetch(id, connection)
        }
        return try .resource(rule)
    }

    static func promote(_ request: APIRequest) async throws -> Response {
        let id = try request.idParameter()
        let rule = try await request.context.pool.withTransaction { connection in
            let current = try await RuleStore.fetch(id, connection, forUpdate: true)
            try ETag.check(request, current: current)
            if current.spec.learned {
                _ = try await connection.query(
                    "UPDATE network_rules SET learned = false, updated_at = now() WHERE id = \(id)")
                try await PolicyRevision.bump(connection)
            }
            return try await RuleStore.fetch(id, connection)
        }
        return try .resource(rule)
    }

    static func replaceAll(_ request: APIRequest) async throws -> Response {
        let list = try request.decodeBody(RuleList.self)
        try await request.context.pool.withTransaction { connection in
            try await PolicyRevision.lock(connection)
            let rules = try await RuleStore.validate(list.items, field: "items", connection)
            try await RuleStore.replaceAll(with: rules, connection)
            try await PolicyRevision.bump(connection)
        }
        return .noContent
    }
}

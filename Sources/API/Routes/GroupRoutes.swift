import Domain
import Foundation
import HTTP
import Storage

/// `/v1/groups`: sets of workloads that policy names. Every change bumps the policy revision
/// and recomputes the group's members in the same transaction.
enum GroupRoutes {
    /// A group as the API shows it: its definition and how many workloads it has now.
    struct View: Encodable, Sendable {
        let group: Group
        let memberCount: Int

        enum CodingKeys: String, CodingKey { case memberCount = "member_count" }

        func encode(to encoder: any Encoder) throws {
            try group.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(memberCount, forKey: .memberCount)
        }
    }

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/groups", .role(.reader), "List groups", tag: "Policy",
                query: QueryParameter.paging + [
                    QueryParameter("policy_mode", .enumeration(PolicyMode.self), "Only groups in this mode."),
                    QueryParameter("learned", .boolean, "Only learned (true) or user (false) groups."),
                    QueryParameter("name_prefix", .string(maxLength: 128), "Only names starting with this."),
                ], response: Components.list("Group"), handler: list),
            Endpoint(
                "POST", "/v1/groups", .role(.operator), "Create a group", tag: "Policy", body: .ref("GroupInput"),
                status: 201, response: .ref("Group"), handler: create),
            Endpoint("GET", "/v1/groups/{name}", .role(.reader), "Get a group", tag: "Policy", response: .ref("Group"))
            {
                request in
                try await request.context.pool.withConnection { connection in
                    try .resource(try await view(request.parameter("name"), connection))
                }
            },
            Endpoint(
                "PUT", "/v1/groups/{name}", .role(.operator), "Replace a group (a different name renames it)",
                tag: "Policy", body: .ref("GroupInput"), response: .ref("Group"), handler: replace),
            Endpoint(
                "DELETE", "/v1/groups/{name}", .role(.operator), "Delete a group no rule uses", tag: "Policy",
                status: 204, response: nil, handler: delete),
        ]
    }

    static func view(_ name: String, _ connection: PostgresConnection, forUpdate: Bool = false) async throws -> View {
        guard let group = try await GroupStore.fetch(name, connection, forUpdate: forUpdate) else {
            throw HTTPError.notFound("No group '\(name)'.")
        }
        let count = try await connection.query(
            "SELECT count(*) AS n FROM group_members WHERE group_name = \(name)"
        ).first!.decode(Int.self, "n")
        return View(group: group, memberCount: count)
    }

    static func list(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let after = try page.afterString()
        let rows = try await request.context.pool.query(
            """
            SELECT \(unsafeRaw: GroupStore.columns),
                   (SELECT count(*) FROM group_members m WHERE m.group_name = g.name) AS member_count
            FROM groups g
            WHERE (\(after)::text IS NULL OR name > \(after))
              AND (\(request.query("policy_mode"))::text IS NULL OR policy_mode = \(request.query("policy_mode")))
              AND (\(request.queryBool("learned"))::boolean IS NULL OR learned = \(request.queryBool("learned")))
              AND (\(request.query("name_prefix"))::text IS NULL
                   OR starts_with(name, \(request.query("name_prefix"))))
            ORDER BY name LIMIT \(page.limit + 1)
            """)
        let views = try rows.map {
            View(group: try GroupStore.decode($0), memberCount: try $0.decode(Int.self, "member_count"))
        }
        return try .json(ListResponse(rows: views, page: page) { [$0.group.name] })
    }

    static func decodeGroup(_ request: APIRequest) throws -> Group {
        let group = try request.decodeBody(Group.self)
        do { try group.validate() } catch { throw HTTPError.invalid(error) }
        return group
    }

    static func create(_ request: APIRequest) async throws -> Response {
        let group = try decodeGroup(request)
        let result = try await request.context.pool.withTransaction { connection in
            guard try await GroupStore.fetch(group.name, connection) == nil else {
                throw HTTPError.conflict("A group named '\(group.name)' exists.")
            }
            try await GroupStore.insert(group, connection)
            try await GroupStore.recomputeMembers(of: [group], connection)
            try await PolicyRevision.bump(connection)
            return try await view(group.name, connection)
        }
        var response = try Response.resource(result, status: 201)
        response.headers.add(name: "location", value: "/v1/groups/\(group.name)")
        return response
    }

    static func replace(_ request: APIRequest) async throws -> Response {
        let name = request.parameter("name")
        let group = try decodeGroup(request)
        let result = try await request.context.pool.withTransaction { connection in
            let current = try await view(name, connection, forUpdate: true)
            try ETag.check(request, current: current)
            if group.name != name, try await GroupStore.fetch(group.name, connection) != nil {
                throw HTTPError.conflict("A group named '\(group.name)' exists.")
            }
            try await GroupStore.update(name, to: group, connection)
            try await GroupStore.recomputeMembers(of: [group], connection)
            try await PolicyRevision.bump(connection)
            return try await view(group.name, connection)
        }
        return try .resource(result)
    }

    static func delete(_ request: APIRequest) async throws -> Response {
        let name = request.parameter("name")
        try await request.context.pool.withTransaction { connection in
            let current = try await view(name, connection, forUpdate: true)
            try ETag.check(request, current: current)
            let users = try await connection.query(
                "SELECT count(*) AS n FROM network_rules WHERE from_group = \(name) OR to_group = \(name)"
            ).first!.decode(Int.self, "n")
            guard users == 0 else {
                throw HTTPError.conflict("Group '\(name)' is used by \(users) rule(s); delete or change them first.")
            }
            _ = try await connection.query("DELETE FROM groups WHERE name = \(name)")
            try await PolicyRevision.bump(connection)
        }
        return .noContent
    }
}

import Domain
import HTTP
import Storage

/// `/v1/groups/{name}/process-profile`: the processes a group's workloads may run.
enum ProcessProfileRoutes {
    struct Input: Decodable {
        let items: [ProcessRule]
    }

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/groups/{name}/process-profile", .role(.reader), "Get a group's process profile",
                tag: "Policy", response: .ref("ProcessProfile")
            ) { request in
                let name = request.parameter("name")
                return try await request.context.pool.withConnection { connection in
                    try .resource(try await profile(name, connection))
                }
            },
            Endpoint(
                "PUT", "/v1/groups/{name}/process-profile", .role(.operator), "Replace a group's process profile",
                tag: "Policy", body: .ref("ProcessProfileInput"), bodyLimit: 1 << 20, response: .ref("ProcessProfile"),
                handler: replace),
        ]
    }

    static func profile(_ group: String, _ connection: PostgresConnection) async throws -> PolicyDocument.ProcessProfile
    {
        guard try await GroupStore.fetch(group, connection) != nil else {
            throw HTTPError.notFound("No group '\(group)'.")
        }
        return .init(group: group, items: try await ProfileStore.entries(of: group, connection))
    }

    static func replace(_ request: APIRequest) async throws -> Response {
        let name = request.parameter("name")
        let input = try request.decodeBody(Input.self)
        do { try ProcessRule.validate(input.items) } catch { throw HTTPError.invalid(error) }
        let result = try await request.context.pool.withTransaction { connection in
            guard try await GroupStore.fetch(name, connection, forUpdate: true) != nil else {
                throw HTTPError.notFound("No group '\(name)'.")
            }
            try ETag.check(request, current: try await profile(name, connection))
            try await ProfileStore.replace(name, with: input.items, connection)
            try await PolicyRevision.bump(connection)
            return try await profile(name, connection)
        }
        return try .resource(result)
    }
}

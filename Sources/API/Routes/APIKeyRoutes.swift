import Domain
import Foundation
import HTTP
import PKI
import Storage

/// `/v1/api-keys`: credentials for automation (admin only). The secret is shown once, at
/// creation; only its hash is kept. Deleting a key revokes it (it stays listed, revoked).
enum APIKeyRoutes {
    struct APIKey: Encodable, Sendable {
        let id: String
        let name: String
        let role: Role
        @Nullable var createdBy: String?
        let createdAt: Date
        @Nullable var expiresAt: Date?
        @Nullable var lastUsedAt: Date?
        @Nullable var revokedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, name, role
            case createdBy = "created_by"
            case createdAt = "created_at"
            case expiresAt = "expires_at"
            case lastUsedAt = "last_used_at"
            case revokedAt = "revoked_at"
        }

        init(_ row: PostgresRow) throws {
            id = try row.decode(UUID.self, "id").uuidString.lowercased()
            name = try row.decode(String.self, "name")
            role = Role(rawValue: try row.decode(String.self, "role")) ?? .reader
            createdBy = try row.decode(String?.self, "created_by")
            createdAt = try row.decode(Date.self, "created_at")
            expiresAt = try row.decode(Date?.self, "expires_at")
            lastUsedAt = try row.decode(Date?.self, "last_used_at")
            revokedAt = try row.decode(Date?.self, "revoked_at")
        }
    }

    struct Create: Decodable {
        let name: String
        let role: Role
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case name, role
            case expiresAt = "expires_at"
        }
    }

    struct Created: Encodable {
        let id: String
        let name: String
        let role: Role
        let secret: String
        @Nullable var expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, name, role, secret
            case expiresAt = "expires_at"
        }
    }

    static let columns = """
        k.id, k.name, k.role, u.name AS created_by, k.created_at, k.expires_at, k.last_used_at, k.revoked_at
        """
    static let from = "api_keys k LEFT JOIN users u ON u.id = k.created_by"

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/api-keys", .role(.admin), "List API keys (never their secrets)", tag: "API keys",
                query: QueryParameter.paging, response: Components.list("APIKey"), handler: list),
            Endpoint(
                "POST", "/v1/api-keys", .role(.admin), "Create an API key; the secret is in this response only",
                tag: "API keys", body: .ref("APIKeyCreate"), status: 201, response: .ref("APIKeyCreated"),
                handler: create),
            Endpoint(
                "GET", "/v1/api-keys/{id}", .role(.admin), "Get an API key", tag: "API keys", response: .ref("APIKey")
            ) { request in try .resource(try await fetch(request)) },
            Endpoint(
                "DELETE", "/v1/api-keys/{id}", .role(.admin), "Revoke an API key", tag: "API keys", status: 204,
                response: nil, handler: revoke),
        ]
    }

    static func fetch(_ request: APIRequest) async throws -> APIKey {
        let id = try request.uuidParameter(what: "API key")
        guard
            let row = try await request.context.pool.query(
                "SELECT \(unsafeRaw: columns) FROM \(unsafeRaw: from) WHERE k.id = \(id)"
            ).first
        else { throw HTTPError.notFound("No such API key.") }
        return try APIKey(row)
    }

    static func list(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let (afterTime, afterID) = try page.afterTimeAndUUID()
        let rows = try await request.context.pool.query(
            """
            SELECT \(unsafeRaw: columns), k.created_at::text AS sort_time FROM \(unsafeRaw: from)
            WHERE \(afterTime)::text IS NULL OR (k.created_at, k.id) > (\(afterTime)::timestamptz, \(afterID)::uuid)
            ORDER BY k.created_at, k.id LIMIT \(page.limit + 1)
            """)
        let keyed = try rows.map { row in
            let key = try APIKey(row)
            return (key, [try row.decode(String.self, "sort_time"), key.id])
        }
        return try .json(ListResponse(keyed: keyed, page: page))
    }

    static func create(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeBody(Create.self)
        try Comment.validate(body.name, field: "name")
        if let expiry = body.expiresAt, expiry <= Date() {
            throw HTTPError.invalidField("expires_at", "must be in the future")
        }
        let id = UUID()
        let secret = try SecretToken.generate(.apiKey)
        _ = try await request.context.pool.query(
            """
            INSERT INTO api_keys (id, name, role, secret_hash, created_by, expires_at)
            VALUES (\(id), \(body.name), \(body.role.rawValue), \(SecretToken.hash(secret)), \(request.principal.userID),
                    \(body.expiresAt))
            """)
        var response = try Response.json(
            Created(
                id: id.uuidString.lowercased(), name: body.name, role: body.role, secret: secret,
                expiresAt: body.expiresAt), status: 201)
        response.headers.add(name: "location", value: "/v1/api-keys/\(id.uuidString.lowercased())")
        response.headers.add(name: "cache-control", value: "no-store")
        return response
    }

    static func revoke(_ request: APIRequest) async throws -> Response {
        let current = try await fetch(request)
        try ETag.check(request, current: current)
        _ = try await request.context.pool.query(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(current.id)::uuid")
        return .noContent
    }
}

import Domain
import Foundation
import HTTP
import PKI
import Storage

/// `/v1/enforcers` (state, revision lag, revoke) and `/v1/enforcer-tokens` (join tokens).
enum EnforcerRoutes {
    /// Enforcers send a heartbeat every 15 s; three missed and the enforcer shows disconnected.
    static let connectedWithinSeconds = 45

    struct Enforcer: Encodable, Sendable {
        let id: String
        let hostname: String
        @Nullable var hostID: String?
        @Nullable var version: String?
        let state: String
        let appliedRevision: Int64
        let revisionLag: Int64
        @Nullable var applyError: String?
        let certificateExpiresAt: Date
        let enrolledAt: Date
        @Nullable var lastSeenAt: Date?
        @Nullable var revokedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, hostname, version, state
            case hostID = "host_id"
            case appliedRevision = "applied_revision"
            case revisionLag = "revision_lag"
            case applyError = "apply_error"
            case certificateExpiresAt = "certificate_expires_at"
            case enrolledAt = "enrolled_at"
            case lastSeenAt = "last_seen_at"
            case revokedAt = "revoked_at"
        }

        init(_ row: PostgresRow) throws {
            id = try row.decode(UUID.self, "id").uuidString.lowercased()
            hostname = try row.decode(String.self, "hostname")
            hostID = try row.decode(String?.self, "host_id")
            version = try row.decode(String?.self, "version")
            state = try row.decode(String.self, "state")
            appliedRevision = try row.decode(Int64.self, "applied_revision")
            revisionLag = try row.decode(Int64.self, "revision_lag")
            applyError = try row.decode(String?.self, "apply_error")
            certificateExpiresAt = try row.decode(Date.self, "certificate_expires")
            enrolledAt = try row.decode(Date.self, "enrolled_at")
            lastSeenAt = try row.decode(Date?.self, "last_seen_at")
            revokedAt = try row.decode(Date?.self, "revoked_at")
        }
    }

    static let enforcerColumns = """
        e.id, e.hostname, e.host_id, e.version, e.applied_revision, e.apply_error, e.certificate_expires,
        e.enrolled_at, e.last_seen_at, e.revoked_at,
        CASE WHEN e.revoked_at IS NOT NULL THEN 'revoked'
             WHEN e.last_seen_at > now() - make_interval(secs => \(connectedWithinSeconds)) THEN 'connected'
             ELSE 'disconnected' END AS state,
        greatest(0, (SELECT revision FROM policy_revision) - e.applied_revision) AS revision_lag
        """

    struct JoinToken: Encodable, Sendable {
        let id: String
        let createdBy: String
        let createdAt: Date
        let expiresAt: Date
        let maxUses: Int
        let uses: Int
        @Nullable var revokedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, uses
            case createdBy = "created_by"
            case createdAt = "created_at"
            case expiresAt = "expires_at"
            case maxUses = "max_uses"
            case revokedAt = "revoked_at"
        }

        init(_ row: PostgresRow) throws {
            id = try row.decode(UUID.self, "id").uuidString.lowercased()
            createdBy = try row.decode(String.self, "created_by")
            createdAt = try row.decode(Date.self, "created_at")
            expiresAt = try row.decode(Date.self, "expires_at")
            maxUses = try row.decode(Int.self, "max_uses")
            uses = try row.decode(Int.self, "uses")
            revokedAt = try row.decode(Date?.self, "revoked_at")
        }
    }

    struct JoinTokenCreate: Decodable {
        let ttlSeconds: Int
        let maxUses: Int

        enum CodingKeys: String, CodingKey {
            case ttlSeconds = "ttl_seconds"
            case maxUses = "max_uses"
        }
    }

    struct JoinTokenCreated: Encodable {
        let id: String
        let token: String
        let expiresAt: Date
        let maxUses: Int

        enum CodingKeys: String, CodingKey {
            case id, token
            case expiresAt = "expires_at"
            case maxUses = "max_uses"
        }
    }

    static let tokenColumns = "id, created_by, created_at, expires_at, max_uses, uses, revoked_at"

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/enforcers", .role(.reader), "List enforcers with state and revision lag", tag: "Enforcers",
                query: QueryParameter.paging + [
                    QueryParameter(
                        "state", .enumeration(["connected", "disconnected", "revoked"]), "Only enforcers in this state."
                    )
                ], response: Components.list("Enforcer"), handler: listEnforcers),
            Endpoint(
                "GET", "/v1/enforcers/{id}", .role(.reader), "Get an enforcer", tag: "Enforcers",
                response: .ref("Enforcer")
            ) { request in try .resource(try await enforcer(request)) },
            Endpoint(
                "POST", "/v1/enforcers/{id}/revoke", .role(.operator),
                "Revoke an enforcer: its certificate is refused from now on and its streams close", tag: "Enforcers",
                response: .ref("Enforcer"), handler: revokeEnforcer),
            Endpoint(
                "GET", "/v1/enforcer-tokens", .role(.operator), "List join tokens (never their secrets)",
                tag: "Enforcers", query: QueryParameter.paging, response: Components.list("JoinToken"),
                handler: listTokens),
            Endpoint(
                "POST", "/v1/enforcer-tokens", .role(.operator),
                "Create a join token; the token is in this response only", tag: "Enforcers",
                body: .ref("JoinTokenCreate"), status: 201, response: .ref("JoinTokenCreated"), handler: createToken),
            Endpoint(
                "DELETE", "/v1/enforcer-tokens/{id}", .role(.operator), "Revoke a join token", tag: "Enforcers",
                status: 204, response: nil, handler: revokeToken),
        ]
    }

    static func enforcer(_ request: APIRequest) async throws -> Enforcer {
        let id = try request.uuidParameter(what: "enforcer")
        guard
            let row = try await request.context.pool.query(
                "SELECT \(unsafeRaw: enforcerColumns) FROM enforcers e WHERE e.id = \(id)"
            ).first
        else { throw HTTPError.notFound("No such enforcer.") }
        return try Enforcer(row)
    }

    static func listEnforcers(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let (afterTime, afterID) = try page.afterTimeAndUUID()
        let rows = try await request.context.pool.query(
            """
            SELECT * FROM (
                SELECT \(unsafeRaw: enforcerColumns), e.enrolled_at::text AS sort_time FROM enforcers e
                WHERE \(afterTime)::text IS NULL OR (e.enrolled_at, e.id) > (\(afterTime)::timestamptz, \(afterID)::uuid)
            ) e WHERE \(request.query("state"))::text IS NULL OR state = \(request.query("state"))
            ORDER BY enrolled_at, id LIMIT \(page.limit + 1)
            """)
        let keyed = try rows.map { row in
            let enforcer = try Enforcer(row)
            return (enforcer, [try row.decode(String.self, "sort_time"), enforcer.id])
        }
        return try .json(ListResponse(keyed: keyed, page: page))
    }

    static func revokeEnforcer(_ request: APIRequest) async throws -> Response {
        let current = try await enforcer(request)
        try ETag.check(request, current: current)
        _ = try await request.context.pool.query(
            """
            UPDATE enforcers SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(current.id)::uuid
            """)
        _ = try await request.context.pool.query(
            "SELECT pg_notify('enforcer_revoked', \(current.id))")
        return try .resource(try await enforcer(request))
    }

    static func listTokens(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let (afterTime, afterID) = try page.afterTimeAndUUID()
        let rows = try await request.context.pool.query(
            """
            SELECT \(unsafeRaw: tokenColumns), created_at::text AS sort_time FROM enforcer_join_tokens
            WHERE \(afterTime)::text IS NULL OR (created_at, id) > (\(afterTime)::timestamptz, \(afterID)::uuid)
            ORDER BY created_at, id LIMIT \(page.limit + 1)
            """)
        let keyed = try rows.map { row in
            let token = try JoinToken(row)
            return (token, [try row.decode(String.self, "sort_time"), token.id])
        }
        return try .json(ListResponse(keyed: keyed, page: page))
    }

    static func createToken(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeBody(JoinTokenCreate.self)
        let id = UUID()
        let token = try SecretToken.generate(.joinToken)
        let expires = try await request.context.pool.query(
            """
            INSERT INTO enforcer_join_tokens (id, token_hash, created_by, expires_at, max_uses)
            VALUES (\(id), \(SecretToken.hash(token)), \(request.principal.actor),
                    now() + make_interval(secs => \(body.ttlSeconds)), \(body.maxUses))
            RETURNING expires_at
            """
        ).first!.decode(Date.self, "expires_at")
        var response = try Response.json(
            JoinTokenCreated(id: id.uuidString.lowercased(), token: token, expiresAt: expires, maxUses: body.maxUses),
            status: 201)
        response.headers.add(name: "location", value: "/v1/enforcer-tokens/\(id.uuidString.lowercased())")
        response.headers.add(name: "cache-control", value: "no-store")
        return response
    }

    static func revokeToken(_ request: APIRequest) async throws -> Response {
        let id = try request.uuidParameter(what: "join token")
        let rows = try await request.context.pool.query(
            "UPDATE enforcer_join_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) RETURNING id")
        guard !rows.isEmpty else { throw HTTPError.notFound("No such join token.") }
        return .noContent
    }
}

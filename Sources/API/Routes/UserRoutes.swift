import Domain
import Foundation
import HTTP
import PKI
import Storage

/// `/v1/users`: people who sign in to the console (admin only).
enum UserRoutes {
    struct User: Codable, Sendable {
        let name: String
        let role: Role
        let disabled: Bool
        let createdAt: Date
        let updatedAt: Date

        enum CodingKeys: String, CodingKey {
            case name, role, disabled
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }

        init(_ row: PostgresRow) throws {
            name = try row.decode(String.self, "name")
            role = Role(rawValue: try row.decode(String.self, "role")) ?? .reader
            disabled = try row.decode(Bool.self, "disabled")
            createdAt = try row.decode(Date.self, "created_at")
            updatedAt = try row.decode(Date.self, "updated_at")
        }
    }

    struct Create: Decodable {
        let name: String
        let role: Role
        let password: String
    }

    struct Update: Decodable {
        let role: Role?
        let password: String?
        let disabled: Bool?
    }

    static let columns = "name, role, disabled_at IS NOT NULL AS disabled, created_at, updated_at"

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/users", .role(.admin), "List users", tag: "Users",
                query: QueryParameter.paging + [QueryParameter("role", .enumeration(Role.self), "Only this role.")],
                response: Components.list("User"), handler: list),
            Endpoint(
                "POST", "/v1/users", .role(.admin), "Create a user", tag: "Users", body: .ref("UserCreate"),
                status: 201, response: .ref("User"), handler: create),
            Endpoint(
                "GET", "/v1/users/{name}", .role(.admin), "Get a user", tag: "Users", response: .ref("User")
            ) { request in try .resource(try await fetch(request.parameter("name"), context: request.context)) },
            Endpoint(
                "PATCH", "/v1/users/{name}", .role(.admin), "Change a user's role, password or disabled state",
                tag: "Users", body: .ref("UserUpdate"), response: .ref("User"), handler: update),
            Endpoint(
                "DELETE", "/v1/users/{name}", .role(.admin), "Delete a user", tag: "Users", status: 204,
                response: nil, handler: delete),
        ]
    }

    /// The password policy (`PasswordHasher.policyViolation`) as an `invalid_field` error.
    static func checkPolicy(_ password: String, userName: String, field: String) throws(HTTPError) {
        if let violation = PasswordHasher.policyViolation(password, userName: userName) {
            throw .invalidField(field, violation)
        }
    }

    static func fetch(_ name: String, context: APIContext) async throws -> User {
        guard
            let row = try await context.pool.query("SELECT \(unsafeRaw: columns) FROM users WHERE name = \(name)").first
        else { throw HTTPError.notFound("No user '\(name)'.") }
        return try User(row)
    }

    static func list(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let rows = try await request.context.pool.query(
            """
            SELECT \(unsafeRaw: columns) FROM users
            WHERE (\(try page.afterString())::text IS NULL OR name > \(try page.afterString()))
              AND (\(request.query("role"))::text IS NULL OR role = \(request.query("role")))
            ORDER BY name LIMIT \(page.limit + 1)
            """)
        return try .json(ListResponse(rows: try rows.map(User.init), page: page) { [$0.name] })
    }

    static func create(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeBody(Create.self)
        guard Token.isUserName(body.name) else {
            throw HTTPError.invalidField("name", "must be 1-64 characters of letters, digits and ._@-")
        }
        try checkPolicy(body.password, userName: body.name, field: "password")
        let password = body.password
        let hash = try await Offload.run { try PasswordHasher.hash(password) }
        let row = try await request.context.pool.query(
            """
            INSERT INTO users (name, role, password_hash) VALUES (\(body.name), \(body.role.rawValue), \(hash))
            RETURNING \(unsafeRaw: columns)
            """
        ).first!
        var response = try Response.resource(try User(row), status: 201)
        response.headers.add(name: "location", value: "/v1/users/\(body.name)")
        return response
    }

    static func update(_ request: APIRequest) async throws -> Response {
        let name = request.parameter("name")
        let body = try request.decodeBody(Update.self)
        if let password = body.password { try checkPolicy(password, userName: name, field: "password") }
        let hash: String? =
            if let password = body.password { try await Offload.run { try PasswordHasher.hash(password) } } else { nil }
        let user = try await request.context.pool.withTransaction { connection in
            guard
                let row = try await connection.query(
                    "SELECT \(unsafeRaw: columns), id FROM users WHERE name = \(name) FOR UPDATE"
                ).first
            else { throw HTTPError.notFound("No user '\(name)'.") }
            let current = try User(row)
            try ETag.check(request, current: current)
            let losesAdmin =
                current.role == .admin && (body.role.map { $0 != .admin } ?? false || body.disabled == true)
            if losesAdmin { try await ensureAnotherAdmin(besides: name, connection: connection) }
            let id = try row.decode(Int64.self, "id")
            let updated = try await connection.query(
                """
                UPDATE users SET role = coalesce(\(body.role?.rawValue)::text, role),
                    password_hash = coalesce(\(hash)::text, password_hash),
                    disabled_at = CASE WHEN \(body.disabled)::boolean IS NULL THEN disabled_at
                                       WHEN \(body.disabled)::boolean THEN coalesce(disabled_at, now()) ELSE NULL END,
                    updated_at = now()
                WHERE id = \(id) RETURNING \(unsafeRaw: columns)
                """
            ).first!
            // A reset password or a disabled account ends the user's sessions.
            if hash != nil || body.disabled == true {
                _ = try await connection.query("DELETE FROM sessions WHERE user_id = \(id)")
            }
            return try User(updated)
        }
        return try .resource(user)
    }

    static func delete(_ request: APIRequest) async throws -> Response {
        let name = request.parameter("name")
        guard name != request.principal.name || request.principal.userID == nil else {
            throw HTTPError.conflict("You cannot delete your own account.")
        }
        try await request.context.pool.withTransaction { connection in
            guard
                let row = try await connection.query(
                    "SELECT \(unsafeRaw: columns) FROM users WHERE name = \(name) FOR UPDATE"
                ).first
            else { throw HTTPError.notFound("No user '\(name)'.") }
            let current = try User(row)
            try ETag.check(request, current: current)
            if current.role == .admin { try await ensureAnotherAdmin(besides: name, connection: connection) }
            _ = try await connection.query("DELETE FROM users WHERE name = \(name)")
        }
        return .noContent
    }

    /// Palisade never locks itself out: the last enabled admin stays.
    private static func ensureAnotherAdmin(besides name: String, connection: PostgresConnection) async throws {
        let others = try await connection.query(
            """
            SELECT count(*) AS n FROM (SELECT 1 FROM users WHERE role = 'admin' AND disabled_at IS NULL
                                       AND name <> \(name) FOR UPDATE) admins
            """
        ).first!.decode(Int.self, "n")
        guard others > 0 else { throw HTTPError.conflict("This is the last enabled admin; create another first.") }
    }
}

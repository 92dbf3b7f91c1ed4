import Domain
import Foundation
import HTTP
import PKI
import Storage

/// Sign-in, sign-out, who am I, and password change.
enum AuthRoutes {
    struct LoginRequest: Decodable {
        let username: String
        let password: String
    }

    struct LoginResponse: Encodable {
        struct User: Encodable {
            let name: String
            let role: Role
        }
        let token: String
        let expiresAt: Date
        let user: User

        enum CodingKeys: String, CodingKey {
            case token, user
            case expiresAt = "expires_at"
        }
    }

    struct PasswordChange: Decodable {
        let currentPassword: String
        let newPassword: String

        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password"
            case newPassword = "new_password"
        }
    }

    /// Compared against when the user does not exist, so a wrong name costs the same time as a
    /// wrong password and reveals nothing.
    static let decoyHash: String = (try? PasswordHasher.hash("decoy password that matches nothing")) ?? ""

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "POST", "/v1/auth/login", .anonymous, "Sign in; returns a bearer token", tag: "Auth",
                body: .ref("LoginRequest"), response: .ref("LoginResponse"), handler: login),
            Endpoint(
                "POST", "/v1/auth/logout", .role(.reader), "Sign out: ends this session", tag: "Auth", status: 204,
                response: nil, handler: logout),
            Endpoint(
                "GET", "/v1/auth/me", .role(.reader), "The caller's name, role and kind", tag: "Auth",
                response: .ref("Me")
            ) { request in
                try .json([
                    "name": request.principal.name, "role": request.principal.role?.rawValue ?? "",
                    "kind": request.principal.userID == nil ? "api_key" : "user",
                ])
            },
            Endpoint(
                "POST", "/v1/auth/password", .role(.reader), "Change the caller's own password", tag: "Auth",
                body: .ref("PasswordChange"), status: 204, response: nil, handler: changePassword),
        ]
    }

    /// Every attempt, failed or not, is audited under the name it tried.
    static func login(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeBody(LoginRequest.self)
        let source = request.http.sourceAddress
        func audit(_ status: Int) async {
            await AuditTrail.record(
                AuditTrail.Entry(
                    actor: body.username, role: nil, source: source, method: "POST", path: "/v1/auth/login",
                    resource: "session", status: status, code: status == 200 ? nil : "login_failed"),
                context: request.context)
        }
        do {
            let response = try await signIn(body, source: source, context: request.context)
            await audit(200)
            return response
        } catch {
            await audit((error as? any HTTPResponseError)?.status ?? 500)
            throw error
        }
    }

    private static func signIn(_ body: LoginRequest, source: String, context: APIContext) async throws -> Response {
        if let wait = context.throttle.retryAfter(user: body.username, address: source) {
            throw RateLimited(retryAfterSeconds: wait)
        }
        let rows = try await context.pool.query(
            "SELECT id, role, password_hash FROM users WHERE name = \(body.username) AND disabled_at IS NULL")
        let stored = try rows.first?.decode(String.self, "password_hash") ?? decoyHash
        let password = body.password
        let matches = try await Offload.run { PasswordHasher.verify(password, against: stored) }
        guard matches, let row = rows.first, let role = Role(rawValue: try row.decode(String.self, "role")) else {
            context.throttle.recordFailure(user: body.username, address: source)
            throw HTTPError.unauthenticated("Wrong user name or password.")
        }
        context.throttle.recordSuccess(user: body.username)
        let token = try SecretToken.generate(.session)
        let lifetime = Int(context.settings.sessionAbsoluteTimeout)
        let created = try await context.pool.query(
            """
            INSERT INTO sessions (token_hash, user_id, expires_at, source)
            VALUES (\(SecretToken.hash(token)), \(try row.decode(Int64.self, "id")),
                    now() + make_interval(secs => \(lifetime)), \(source))
            RETURNING expires_at
            """)
        return try .json(
            LoginResponse(
                token: token, expiresAt: try created.first!.decode(Date.self, "expires_at"),
                user: .init(name: body.username, role: role)))
    }

    static func logout(_ request: APIRequest) async throws -> Response {
        guard case .user(_, let sessionID) = request.principal.kind else {
            throw HTTPError.badRequest("API keys do not sign in or out; revoke the key instead.")
        }
        _ = try await request.context.pool.query("DELETE FROM sessions WHERE id = \(sessionID)")
        return .noContent
    }

    static func changePassword(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeBody(PasswordChange.self)
        guard case .user(let userID, let sessionID) = request.principal.kind else {
            throw HTTPError.badRequest("API keys have no password.")
        }
        try UserRoutes.checkPolicy(body.newPassword, userName: request.principal.name, field: "new_password")
        let pool = request.context.pool
        let stored =
            try await pool.query("SELECT password_hash FROM users WHERE id = \(userID)")
            .first?.decode(String.self, "password_hash") ?? decoyHash
        let current = body.currentPassword
        let newPassword = body.newPassword
        guard try await Offload.run({ PasswordHasher.verify(current, against: stored) }) else {
            throw HTTPError.forbidden("The current password is wrong.")
        }
        let hash = try await Offload.run { try PasswordHasher.hash(newPassword) }
        try await pool.withTransaction { connection in
            _ = try await connection.query(
                "UPDATE users SET password_hash = \(hash), updated_at = now() WHERE id = \(userID)")
            // Every other session of this user ends: a changed password locks out whoever had it.
            _ = try await connection.query(
                "DELETE FROM sessions WHERE user_id = \(userID) AND id <> \(sessionID)")
        }
        return .noContent
    }
}

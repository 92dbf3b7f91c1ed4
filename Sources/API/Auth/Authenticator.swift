import Domain
import Foundation
import HTTP
import PKI
import Storage

/// Turns `Authorization: Bearer <secret>` into a principal: a live session token or an API key
/// that is neither revoked nor expired. One indexed lookup by the secret's hash; the last-used
/// time is written at most once a minute per credential, so reads stay reads.
enum Authenticator {
    static func authenticate(_ request: Request, context: APIContext) async throws -> Principal? {
        guard let header = request.headers["authorization"], header.utf8.count <= 128 else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let secret = String(parts[1]).trimmingCharacters(in: .whitespaces)
        switch SecretToken.kind(of: secret) {
        case .session: return try await session(SecretToken.hash(secret), context: context)
        case .apiKey: return try await apiKey(SecretToken.hash(secret), context: context)
        default: return nil
        }
    }

    private static func session(_ hash: [UInt8], context: APIContext) async throws -> Principal? {
        let idle = Int(context.settings.sessionIdleTimeout)
        let rows = try await context.pool.query(
            """
            UPDATE sessions s SET last_used_at = CASE WHEN s.last_used_at < now() - interval '60 seconds'
                                                      THEN now() ELSE s.last_used_at END
            FROM users u
            WHERE s.token_hash = \(hash) AND u.id = s.user_id AND u.disabled_at IS NULL
              AND s.expires_at > now() AND s.last_used_at > now() - make_interval(secs => \(idle))
            RETURNING s.id, u.id AS user_id, u.name, u.role
            """)
        guard let row = rows.first, let role = Role(rawValue: try row.decode(String.self, "role")) else { return nil }
        return Principal(
            kind: .user(id: try row.decode(Int64.self, "user_id"), sessionID: try row.decode(Int64.self, "id")),
            name: try row.decode(String.self, "name"), role: role)
    }

    private static func apiKey(_ hash: [UInt8], context: APIContext) async throws -> Principal? {
        let rows = try await context.pool.query(
            """
            UPDATE api_keys SET last_used_at = now()
            WHERE secret_hash = \(hash) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
              AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')
            RETURNING id, name, role
            """)
        let row: PostgresRow
        if let updated = rows.first {
            row = updated
        } else {
            let current = try await context.pool.query(
                """
                SELECT id, name, role FROM api_keys
                WHERE secret_hash = \(hash) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
                """)
            guard let found = current.first else { return nil }
            row = found
        }
        guard let role = Role(rawValue: try row.decode(String.self, "role")) else { return nil }
        return Principal(
            kind: .apiKey(id: try row.decode(UUID.self, "id")), name: try row.decode(String.self, "name"), role: role)
    }
}

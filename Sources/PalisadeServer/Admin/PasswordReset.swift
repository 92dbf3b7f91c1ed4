import Foundation
import PKI
import Storage

/// `palisade admin reset-password`: the way back in when nobody can sign in as an admin any more.
/// It works on the database directly (the API would need a signed-in admin), so it is run by
/// whoever can run the server. It ends every session of the user, and it is audited like any
/// other write.
public enum PasswordReset {
    public struct Outcome: Sendable {
        /// Set when no password was given and one was generated: shown once, never stored.
        public let generatedPassword: String?
        public let sessionsEnded: Int
        /// The account stays disabled if it was: resetting a password is not re-enabling a user.
        public let isDisabled: Bool
    }

    public enum Failure: Error, CustomStringConvertible {
        case noSuchUser(String)
        case policy(String)

        public var description: String {
            switch self {
            case .noSuchUser(let name): "no user named '\(name)'"
            case .policy(let violation): "the new password \(violation)"
            }
        }
    }

    /// Sets `newPassword`, or a generated one when it is nil.
    public static func reset(user name: String, to newPassword: String?, pool: PostgresPool) async throws -> Outcome {
        let password = try newPassword ?? PasswordHasher.generatePassword()
        if let violation = PasswordHasher.policyViolation(password, userName: name) {
            throw Failure.policy(violation)
        }
        let hash = try PasswordHasher.hash(password)  // Off any loop: this is a CLI process.
        return try await pool.withTransaction { connection in
            guard
                let user = try await connection.query(
                    """
                    UPDATE users SET password_hash = \(hash), updated_at = now() WHERE name = \(name)
                    RETURNING id, disabled_at IS NOT NULL AS disabled
                    """
                ).first
            else { throw Failure.noSuchUser(name) }
            let id = try user.decode(Int64.self, "id")
            let ended = try await connection.query("DELETE FROM sessions WHERE user_id = \(id) RETURNING id").count
            _ = try await connection.query(
                """
                INSERT INTO audit_log (actor, actor_role, source, method, path, resource, outcome, status, detail)
                VALUES ('palisade admin', 'system', 'local', 'RESET-PASSWORD', 'users', \(name), 'success', 200,
                        jsonb_build_object('sessions_ended', \(ended)::integer))
                """)
            return Outcome(
                generatedPassword: newPassword == nil ? password : nil, sessionsEnded: ended,
                isDisabled: try user.decode(Bool.self, "disabled"))
        }
    }
}

import Foundation
import Logging
import PKI
import Storage

/// First start: with no users at all, create `admin` with `PALISADE_ADMIN_PASSWORD`, or with a
/// generated password written to `<data dir>/initial-admin-password` (0600) and printed once on
/// standard output. Never logged. Safe with replicas starting together (advisory lock).
public enum AdminBootstrap {
    static let lockKey = 7_236_110_935_431_002

    public struct Created: Sendable {
        /// Set only when Palisade chose the password; the executable prints it once.
        public let generatedPassword: String?
        public let passwordFile: String?
    }

    static func runIfNeeded(
        pool: PostgresPool, dataDirectory: DataDirectory, environment: [String: String], logger: Logger
    ) async throws -> Created? {
        try await pool.withTransaction { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))")
            let users = try await connection.query("SELECT count(*) AS n FROM users").first!.decode(Int.self, "n")
            guard users == 0 else { return nil }
            let supplied = environment["PALISADE_ADMIN_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
            if let supplied, supplied.count < PasswordHasher.minimumLength {
                throw DataDirectory.Failure(
                    description: "PALISADE_ADMIN_PASSWORD must have at least \(PasswordHasher.minimumLength) characters"
                )
            }
            let password = try supplied ?? PasswordHasher.generatePassword()
            let hash = try PasswordHasher.hash(password)
            _ = try await connection.query(
                "INSERT INTO users (name, role, password_hash) VALUES ('admin', 'admin', \(hash))")
            _ = try await connection.query(
                """
                INSERT INTO audit_log (actor, actor_role, source, method, path, resource, outcome, status)
                VALUES ('palisade', 'system', 'bootstrap', 'CREATE', 'users', 'admin', 'success', 201)
                """)
            logger.notice(
                "created the admin user",
                ["user": "admin", "password.source": supplied == nil ? "generated" : "environment"])
            guard supplied == nil else { return Created(generatedPassword: nil, passwordFile: nil) }
            try dataDirectory.write("initial-admin-password", password + "\n", mode: 0o600)
            return Created(generatedPassword: password, passwordFile: dataDirectory.file("initial-admin-password"))
        }
    }
}

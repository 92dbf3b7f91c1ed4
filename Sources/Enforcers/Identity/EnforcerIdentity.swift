import Foundation
import HTTP
import Storage

/// Who an enforcer request comes from: the id in its client certificate's URI SAN
/// (`urn:palisade:enforcer:<id>`), never anything in the body. Checked against the database on
/// every request, because a connection outlives a revocation: the certificate must still be the
/// enforcer's current one and the enforcer must not be revoked.
struct EnforcerIdentity: Sendable {
    static let uriPrefix = "urn:palisade:enforcer:"

    let id: UUID
    let hostname: String
    let hostID: String?
    let serial: String

    static func uri(for id: UUID) -> String { uriPrefix + id.uuidString.lowercased() }

    static func resolve(_ request: Request, pool: PostgresPool) async throws -> EnforcerIdentity {
        guard let certificate = request.peerCertificate else {
            throw HTTPError.unauthenticated("This call needs the enforcer's client certificate.")
        }
        guard let uri = certificate.uris.first(where: { $0.hasPrefix(uriPrefix) }),
            let id = UUID(uuidString: String(uri.dropFirst(uriPrefix.count)))
        else { throw HTTPError.forbidden("The client certificate names no enforcer.") }
        let rows = try await pool.query(
            """
            UPDATE enforcers SET last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < now() - interval '5 seconds'
                                                     THEN now() ELSE last_seen_at END
            WHERE id = \(id) AND certificate_serial = \(certificate.serialHex) AND revoked_at IS NULL
            RETURNING hostname, host_id
            """)
        guard let row = rows.first else {
            throw HTTPError.forbidden("This enforcer is revoked, or its certificate was replaced.")
        }
        return EnforcerIdentity(
            id: id, hostname: try row.decode(String.self, "hostname"), hostID: try row.decode(String?.self, "host_id"),
            serial: certificate.serialHex)
    }
}

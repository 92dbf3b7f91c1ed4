import Foundation
import HTTP
import PKI
import Storage

/// `POST /v1/enroll` (join token, no client certificate) and `POST /v1/enforcer/renew` (mTLS).
enum EnrollmentRoutes {
    struct Enroll: Decodable {
        let csrPEM: String
        let hostname: String
        let version: String?

        enum CodingKeys: String, CodingKey {
            case hostname, version
            case csrPEM = "csr_pem"
        }
    }

    struct Renew: Decodable {
        let csrPEM: String

        enum CodingKeys: String, CodingKey { case csrPEM = "csr_pem" }
    }

    struct Issued: Encodable {
        let enforcerID: String
        let certificatePEM: String
        let caPEM: String
        let renewAfter: Date

        enum CodingKeys: String, CodingKey {
            case enforcerID = "enforcer_id"
            case certificatePEM = "certificate_pem"
            case caPEM = "ca_pem"
            case renewAfter = "renew_after"
        }
    }

    static func register(on router: inout Router, channel: EnforcerChannel) {
        router.add("POST", "/v1/enroll", bodyLimit: 32 * 1024) { request in
            try await enroll(request, channel: channel)
        }
        router.add("POST", "/v1/enforcer/renew", bodyLimit: 32 * 1024) { request in
            try await channel.authenticated(request) { identity in try await renew(request, identity, channel) }
        }
    }

    /// Hostnames as DNS labels go: what the certificate's CN will say.
    static func isHostname(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 253
            && text.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x2E
            }
    }

    static func enroll(_ request: Request, channel: EnforcerChannel) async throws -> Response {
        guard let header = request.headers["authorization"], header.utf8.count <= 128,
            header.lowercased().hasPrefix("bearer "),
            SecretToken.kind(of: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) == .joinToken
        else { throw HTTPError.unauthenticated("Enrollment needs 'Authorization: Bearer <join token>'.") }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let body = try ChannelComponents.validator.decode(
            Enroll.self, from: request.body, schema: .ref("Enroll"))
        guard isHostname(body.hostname) else { throw HTTPError.invalidField("hostname", "must be a host name") }
        let id = UUID()
        let validity = Int(channel.settings.certificateValidity)
        let source = request.sourceAddress
        do {
            let issued = try await channel.pool.withTransaction { connection in
                // Consumed in the same transaction as the enrollment: a refused CSR uses nothing.
                guard
                    let tokenID = try await connection.query(
                        """
                        UPDATE enforcer_join_tokens SET uses = uses + 1
                        WHERE token_hash = \(SecretToken.hash(token)) AND revoked_at IS NULL AND expires_at > now()
                          AND uses < max_uses
                        RETURNING id
                        """
                    ).first?.decode(UUID.self, "id")
                else {
                    throw HTTPError.unauthenticated("The join token is unknown, expired, revoked or used up.")
                }
                let certificatePEM = try await sign(
                    body.csrPEM, hostname: body.hostname, id: id, validity: validity, channel: channel)
                guard let identity = PeerCertificate(pem: certificatePEM) else {
                    throw HTTPError.unavailable("The issued certificate could not be read back.")
                }
                _ = try await connection.query(
                    """
                    INSERT INTO enforcers (id, hostname, version, certificate_serial, certificate_sha256,
                                           certificate_expires, joined_with)
                    VALUES (\(id), \(body.hostname), \(body.version), \(identity.serialHex),
                            \(identity.sha256Fingerprint), now() + make_interval(secs => \(validity)), \(tokenID))
                    """)
                try await EnforcerChannel.audit(
                    connection, actor: "join-token:\(tokenID.uuidString.lowercased())", source: source,
                    path: "/v1/enroll", resource: "enforcer:\(id.uuidString.lowercased())", status: 201)
                return certificatePEM
            }
            return try .json(
                Issued(
                    enforcerID: id.uuidString.lowercased(), certificatePEM: issued, caPEM: channel.caPEM,
                    renewAfter: Date().addingTimeInterval(Double(validity) * 2 / 3)), status: 201)
        } catch let error as any HTTPResponseError {
            try? await channel.pool.withConnection { connection in
                try await EnforcerChannel.audit(
                    connection, actor: "anonymous", source: source, path: "/v1/enroll", resource: nil,
                    status: error.status)
            }
            throw error
        }
    }

    static func renew(_ request: Request, _ identity: EnforcerIdentity, _ channel: EnforcerChannel) async throws
        -> Response
    {
        let body = try ChannelComponents.validator.decode(Renew.self, from: request.body, schema: .ref("Renew"))
        let validity = Int(channel.settings.certificateValidity)
        let certificatePEM = try await sign(
            body.csrPEM, hostname: identity.hostname, id: identity.id, validity: validity, channel: channel)
        guard let issued = PeerCertificate(pem: certificatePEM) else {
            throw HTTPError.unavailable("The issued certificate could not be read back.")
        }
        try await channel.pool.withTransaction { connection in
            let updated = try await connection.query(
                """
                UPDATE enforcers SET certificate_serial = \(issued.serialHex),
                    certificate_sha256 = \(issued.sha256Fingerprint),
                    certificate_expires = now() + make_interval(secs => \(validity))
                WHERE id = \(identity.id) AND certificate_serial = \(identity.serial) AND revoked_at IS NULL
                RETURNING id
                """)
            guard !updated.isEmpty else { throw HTTPError.conflict("The certificate was renewed already.") }
            _ = try await connection.query(
                "INSERT INTO retired_certificates (serial, enforcer_id) VALUES (\(identity.serial), \(identity.id))")
            _ = try await connection.query("SELECT pg_notify('certificate_retired', \(identity.serial))")
            try await EnforcerChannel.audit(
                connection, actor: "enforcer:\(identity.id.uuidString.lowercased())", source: request.sourceAddress,
                path: "/v1/enforcer/renew", resource: "enforcer:\(identity.id.uuidString.lowercased())", status: 200)
        }
        channel.revocations.insert(identity.serial)
        return try .json(
            Issued(
                enforcerID: identity.id.uuidString.lowercased(), certificatePEM: certificatePEM, caPEM: channel.caPEM,
                renewAfter: Date().addingTimeInterval(Double(validity) * 2 / 3)))
    }

    /// Signs off the event loop; CSR problems become 400s that say what was wrong.
    private static func sign(_ csr: String, hostname: String, id: UUID, validity: Int, channel: EnforcerChannel)
        async throws -> String
    {
        let authority = channel.authority
        do {
            return try await Offload.run {
                try authority.signClientCSR(
                    csr, expectedCommonName: hostname, commonName: hostname, uris: [EnforcerIdentity.uri(for: id)],
                    validitySeconds: validity)
            }
        } catch let problem as CertificateAuthority.CSRProblem {
            let detail: String
            switch problem {
            case .malformed: detail = "is not a PEM certificate signing request"
            case .badSignature: detail = "is not signed by its own key"
            case .unsupportedKey: detail = "must hold an ECDSA P-256 key"
            case .forgedSubject: detail = "may name only CN=<hostname> and request no extensions"
            }
            throw HTTPError.invalidField("csr_pem", detail)
        }
    }
}

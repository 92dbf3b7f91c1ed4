import Foundation
import Logging
import PKI

/// Palisade's own CA in `<data dir>/tls` (created on first start; it signs enforcer
/// certificates), and the server certificate and key: the operator's files when given,
/// otherwise issued by that CA and renewed when it nears expiry.
public enum TLSMaterial {
    public struct Paths: Sendable {
        public let certificate: String
        public let key: String
        /// Palisade's CA certificate: what enforcers (and, without operator files, clients) trust.
        public let caCertificate: String
        public let authority: CertificateAuthority
    }

    static let renewWithinSeconds = 30 * 86_400

    public static func resolve(_ configuration: ServerConfiguration, dataDirectory: DataDirectory, logger: Logger)
        throws -> Paths
    {
        let tls = try dataDirectory.subdirectory("tls")
        let authority: CertificateAuthority
        if tls.exists("ca.pem") && tls.exists("ca.key") {
            authority = try CertificateAuthority(certificatePEM: try tls.read("ca.pem"), keyPEM: try tls.read("ca.key"))
        } else {
            authority = try CertificateAuthority.create()
            try tls.write("ca.key", try authority.keyPEM)
            try tls.write("ca.pem", try authority.certificatePEM, mode: 0o644)
            logger.notice("created certificate authority", ["path": tls.file("ca.pem")])
        }
        if let certificate = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            return Paths(certificate: certificate, key: key, caCertificate: tls.file("ca.pem"), authority: authority)
        }
        if !tls.exists("server.pem") || !tls.exists("server.key")
            || (try? CertificateAuthority.secondsUntilExpiry(ofPEM: tls.read("server.pem"))) ?? 0 < renewWithinSeconds
        {
            let host = ProcessInfo.processInfo.hostName
            let issued = try authority.issueServerCertificate(
                commonName: "palisade", dnsNames: Array(Set(["localhost", host])).sorted(),
                ipAddresses: ["127.0.0.1", "::1"])
            try tls.write("server.key", issued.keyPEM)
            try tls.write("server.pem", issued.certificatePEM, mode: 0o644)
            logger.notice("issued server certificate", ["path": tls.file("server.pem")])
        }
        return Paths(
            certificate: tls.file("server.pem"), key: tls.file("server.key"), caCertificate: tls.file("ca.pem"),
            authority: authority)
    }
}

import Foundation
import HTTP
import PKI

/// A node's identity on disk: key, certificate and Palisade's CA (mode 0600), plus its id.
struct NodeIdentity: Codable, Sendable {
    var enforcerID: String
    var directory: String
    var renewAfter: Date

    var keyPath: String { directory + "/key.pem" }
    var certificatePath: String { directory + "/certificate.pem" }
    var caPath: String { directory + "/ca.pem" }
    var statePath: String { directory + "/enforcer.json" }

    static func load(from directory: String) -> NodeIdentity? {
        guard let data = FileManager.default.contents(atPath: directory + "/enforcer.json") else { return nil }
        return try? JSONDecoder().decode(NodeIdentity.self, from: data)
    }

    /// Enrolls with a join token: a fresh key and CSR here, the certificate from Palisade.
    static func enroll(
        server: (host: String, port: UInt16), caPath: String, token: String, hostname: String, directory: String
    ) throws -> NodeIdentity {
        let (keyPEM, csrPEM) = try CertificateSigningRequest.make(commonName: hostname)
        let client = try ChannelClient(server: server, caPath: caPath, identity: nil)
        let answer = try client.call(
            "POST", "/v1/enroll",
            body: ["csr_pem": .string(csrPEM), "hostname": .string(hostname), "version": "palisade-enforcer/1"],
            bearer: token)
        guard let id = answer["enforcer_id"]?.string, let certificate = answer["certificate_pem"]?.string,
            let ca = answer["ca_pem"]?.string
        else { throw Failure.failed("the enrollment answer is incomplete") }
        var identity = NodeIdentity(enforcerID: id, directory: directory, renewAfter: Date().addingTimeInterval(3600))
        identity.renewAfter = answer["renew_after"]?.string.flatMap(Timestamp.parse) ?? identity.renewAfter
        try identity.save(keyPEM: keyPEM, certificatePEM: certificate, caPEM: ca)
        return identity
    }

    /// Replaces the certificate (and key) before it expires; the old one stops working at once.
    mutating func renew(client: ChannelClient, hostname: String) throws -> ChannelClient {
        let (keyPEM, csrPEM) = try CertificateSigningRequest.make(commonName: hostname)
        let answer = try client.call("POST", "/v1/enforcer/renew", body: ["csr_pem": .string(csrPEM)])
        guard let certificate = answer["certificate_pem"]?.string, let ca = answer["ca_pem"]?.string else {
            throw Failure.failed("the renewal answer is incomplete")
        }
        renewAfter = answer["renew_after"]?.string.flatMap(Timestamp.parse) ?? Date().addingTimeInterval(3600)
        try save(keyPEM: keyPEM, certificatePEM: certificate, caPEM: ca)
        return try ChannelClient(server: client.server, caPath: caPath, identity: (certificatePath, keyPath))
    }

    func save(keyPEM: String, certificatePEM: String, caPEM: String) throws {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let state = try JSONEncoder().encode(self)
        for (path, contents) in [
            (keyPath, Data(keyPEM.utf8)), (certificatePath, Data(certificatePEM.utf8)), (caPath, Data(caPEM.utf8)),
            (statePath, state),
        ] {
            // Created 0600 before anything secret is written into it.
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            try contents.write(to: URL(fileURLWithPath: path))
        }
    }
}

import Foundation
import HTTP
import Logging
import PKI
import PalisadeServer
import Testing

/// The client-certificate listener context: our CA only, and the verified certificate's
/// identity handed to handlers. Driven by curl over real TLS against the in-process server.
@Suite("Mutual TLS listener", .serialized)
struct MutualTLSTests {
    struct Fixture {
        let directory: DataDirectory
        let authority: CertificateAuthority
        let clientCertificate: String
        let clientKey: String
    }

    func makeFixture() throws -> Fixture {
        let directory = try DataDirectory.prepare(NSTemporaryDirectory() + "palisade-mtls-\(UUID())")
        let authority = try CertificateAuthority.create()
        let server = try authority.issueServerCertificate(
            commonName: "palisade", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        try directory.write("ca.pem", try authority.certificatePEM)
        try directory.write("server.pem", server.certificatePEM)
        try directory.write("server.key", server.keyPEM)
        let client = try authority.issueClientCertificate(commonName: "enforcer-7", uris: ["urn:palisade:enforcer:7"])
        try directory.write("client.pem", client.certificatePEM)
        try directory.write("client.key", client.keyPEM)
        // A client certificate from a CA the server does not trust.
        let stranger = try CertificateAuthority.create(commonName: "Stranger CA")
        let foreign = try stranger.issueClientCertificate(commonName: "enforcer-7", uris: ["urn:palisade:enforcer:7"])
        try directory.write("foreign.pem", foreign.certificatePEM)
        try directory.write("foreign.key", foreign.keyPEM)
        return Fixture(
            directory: directory, authority: authority, clientCertificate: client.certificatePEM,
            clientKey: client.keyPEM)
    }

    func curl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "5"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func openssl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("only certificates from our CA get in, and handlers see their identity")
    func identity() async throws {
        let fixture = try makeFixture()
        let dir = fixture.directory
        let context = try TLSContext(
            certificateChainPath: dir.file("server.pem"), privateKeyPath: dir.file("server.key"),
            minimumVersion: .tls13,
            clientAuthentication: .required(trustedCAPath: dir.file("ca.pem")))
        var router = Router()
        router.add("GET", "/whoami") { request in
            guard let peer = request.peerCertificate else { throw HTTPError.notFound() }
            return .text(
                [peer.subject, peer.uris.joined(separator: ","), peer.serialHex, peer.sha256Fingerprint].joined(
                    separator: "\n"))
        }
        let group = try EventLoopGroup(count: 1)
        let server = HTTPServer(
            group: group, router: router,
            listeners: [
                ListenerConfiguration(name: "mtls", address: SocketAddress(host: "127.0.0.1", port: 0), tls: context)
            ],
            logger: Logger(label: "test", sink: MemoryLogSink()))
        let port = try await server.start()[0].port
        let url = "https://127.0.0.1:\(port)/whoami"

        let accepted = try curl([
            "--cacert", dir.file("ca.pem"), "--cert", dir.file("client.pem"), "--key", dir.file("client.key"), url,
        ])
        #expect(accepted.status == 0)
        let lines = accepted.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines.first == "CN=enforcer-7,O=Palisade")
        #expect(lines.dropFirst().first == "urn:palisade:enforcer:7")
        let serial = try openssl(["x509", "-in", dir.file("client.pem"), "-noout", "-serial"])
        #expect(serial.lowercased().contains(lines[2]) && lines[2].count >= 30, "128-bit serial, as openssl reads it")
        let fingerprint = try openssl(["x509", "-in", dir.file("client.pem"), "-noout", "-fingerprint", "-sha256"])
        #expect(fingerprint.replacingOccurrences(of: ":", with: "").lowercased().contains(lines[3]))

        let anonymous = try curl(["--cacert", dir.file("ca.pem"), url])
        #expect(anonymous.status != 0, "no client certificate must fail the handshake")
        let foreign = try curl([
            "--cacert", dir.file("ca.pem"), "--cert", dir.file("foreign.pem"), "--key", dir.file("foreign.key"), url,
        ])
        #expect(foreign.status != 0, "a certificate from another CA must fail the handshake")
        let tls12 = try curl([
            "--cacert", dir.file("ca.pem"), "--cert", dir.file("client.pem"), "--key", dir.file("client.key"),
            "--tls-max", "1.2", url,
        ])
        #expect(tls12.status != 0, "the client-certificate listener is TLS 1.3 only")

        await server.shutdown(gracePeriod: .seconds(1))
        group.stop()
        try? FileManager.default.removeItem(atPath: dir.path)
    }

    @Test("issued certificates carry the purpose and names asked for")
    func issuance() throws {
        let fixture = try makeFixture()
        let text = try openssl(["x509", "-in", fixture.directory.file("client.pem"), "-noout", "-text"])
        #expect(text.contains("TLS Web Client Authentication"))
        #expect(!text.contains("TLS Web Server Authentication"))
        #expect(text.contains("URI:urn:palisade:enforcer:7"))
        #expect(text.contains("CA:FALSE"))
        let ca = try openssl(["x509", "-in", fixture.directory.file("ca.pem"), "-noout", "-text"])
        #expect(ca.contains("CA:TRUE") && ca.contains("Certificate Sign"))
        #expect(try CertificateAuthority.secondsUntilExpiry(ofPEM: fixture.clientCertificate) > 86_000)
        try? FileManager.default.removeItem(atPath: fixture.directory.path)
    }
}

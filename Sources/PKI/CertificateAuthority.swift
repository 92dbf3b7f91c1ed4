internal import COpenSSL
import HTTP

/// Palisade's own certificate authority: an ECDSA P-256 key and a self-signed CA certificate.
/// It issues the server certificate on first start (and, with the enforcer channel, the
/// short-lived client certificates of enforcers).
///
/// Threading: signing is CPU work; callers run it off the event loops.
public final class CertificateAuthority: @unchecked Sendable {
    // Safety (@unchecked Sendable): the key and certificate are never mutated after init, and
    // OpenSSL allows concurrent read-only use of EVP_PKEY and X509 objects.

    let key: PrivateKey
    let certificate: Certificate

    init(key: PrivateKey, certificate: Certificate) {
        self.key = key
        self.certificate = certificate
    }

    /// A new CA valid for ten years.
    public static func create(commonName: String = "Palisade CA") throws(PKIError) -> CertificateAuthority {
        let key = try PrivateKey()
        let template = CertificateTemplate(
            commonName: commonName, purpose: .certificateAuthority, validitySeconds: 10 * 365 * 86_400)
        let certificate = try Self.sign(template, publicKey: key, issuer: nil, issuerKey: key)
        return CertificateAuthority(key: key, certificate: certificate)
    }

    public convenience init(certificatePEM: String, keyPEM: String) throws(PKIError) {
        let certificate = try Certificate(pem: certificatePEM)
        let key = try PrivateKey(pem: keyPEM)
        guard X509_check_private_key(certificate.x509, key.key) == 1 else {
            throw PKIError(operation: "load CA", reason: "key does not match certificate")
        }
        self.init(key: key, certificate: certificate)
    }

    public var certificatePEM: String { get throws(PKIError) { try certificate.pem } }
    public var keyPEM: String { get throws(PKIError) { try key.pem } }

    /// Issues a TLS server certificate for the given names, with a fresh key.
    public func issueServerCertificate(
        commonName: String, dnsNames: [String], ipAddresses: [String], validitySeconds: Int = 397 * 86_400
    ) throws(PKIError) -> (certificatePEM: String, keyPEM: String) {
        let key = try PrivateKey()
        let template = CertificateTemplate(
            commonName: commonName, purpose: .tlsServer, validitySeconds: validitySeconds, dnsNames: dnsNames,
            ipAddresses: ipAddresses)
        let certificate = try Self.sign(template, publicKey: key, issuer: self.certificate, issuerKey: self.key)
        return (try certificate.pem + (try self.certificate.pem), try key.pem)
    }

    /// Issues a TLS client certificate (client auth only) with a fresh key; `uris` become URI
    /// subject alternative names such as `urn:palisade:enforcer:<id>`.
    public func issueClientCertificate(
        commonName: String, uris: [String], validitySeconds: Int = 86_400
    ) throws(PKIError) -> (certificatePEM: String, keyPEM: String) {
        let key = try PrivateKey()
        let template = CertificateTemplate(
            commonName: commonName, purpose: .tlsClient, validitySeconds: validitySeconds, uris: uris)
        let certificate = try Self.sign(template, publicKey: key, issuer: self.certificate, issuerKey: self.key)
        return (try certificate.pem, try key.pem)
    }

    /// Builds and signs one certificate. `issuer == nil` means self-signed.
    static func sign(
        _ template: CertificateTemplate, publicKey: PrivateKey, issuer: Certificate?, issuerKey: PrivateKey
    ) throws(PKIError) -> Certificate {
        guard let x509 = X509_new() else { throw .openSSL("X509_new") }
        let certificate = Certificate(taking: x509)  // Frees on every exit from here.
        guard X509_set_version(x509, 2) == 1 else { throw .openSSL("set version") }
        try setRandomSerial(x509)
        guard X509_gmtime_adj(X509_getm_notBefore(x509), -300) != nil,
            X509_gmtime_adj(X509_getm_notAfter(x509), template.validitySeconds) != nil
        else { throw .openSSL("set validity") }
        guard let name = X509_get_subject_name(x509),
            X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, template.organization, -1, -1, 0) == 1,
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, template.commonName, -1, -1, 0) == 1
        else { throw .openSSL("set subject") }
        let issuerName = issuer.map { X509_get_subject_name($0.x509) } ?? name
        guard X509_set_issuer_name(x509, issuerName) == 1 else { throw .openSSL("set issuer") }
        guard X509_set_pubkey(x509, publicKey.key) == 1 else { throw .openSSL("set public key") }

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.x509 ?? x509, x509, nil, nil, 0)
        for (nid, value) in template.extensions {
            guard let extensionValue = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw .openSSL("add extension \(nid)")
            }
            defer { X509_EXTENSION_free(extensionValue) }
            guard X509_add_ext(x509, extensionValue, -1) == 1 else { throw .openSSL("add extension \(nid)") }
        }
        guard X509_sign(x509, issuerKey.key, EVP_sha256()) > 0 else { throw .openSSL("sign certificate") }
        return certificate
    }

    /// A random positive 128-bit serial, as RFC 5280 and the CA/B baseline ask.
    private static func setRandomSerial(_ x509: OpaquePointer) throws(PKIError) {
        guard let bignum = BN_new() else { throw .openSSL("BN_new") }
        defer { BN_free(bignum) }
        guard BN_rand(bignum, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1,
            let serial = BN_to_ASN1_INTEGER(bignum, nil)
        else { throw .openSSL("random serial") }
        defer { ASN1_INTEGER_free(serial) }
        guard X509_set_serialNumber(x509, serial) == 1 else { throw .openSSL("set serial") }
    }
}

extension CertificateAuthority {
    /// Seconds until the first certificate in `pem` expires (negative once expired).
    public static func secondsUntilExpiry(ofPEM pem: String) throws(PKIError) -> Int {
        try Certificate(pem: pem).secondsUntilExpiry
    }
}

extension CertificateAuthority {
    /// Why a certificate signing request was refused.
    public enum CSRProblem: Error, Sendable, Equatable {
        case malformed
        case badSignature
        case unsupportedKey
        /// The CSR names a subject other than the enrolling host, or asks for extensions: the
        /// identity is Palisade's to set, never the requester's.
        case forgedSubject
    }

    /// Issues a client-auth-only certificate for the public key of `csrPEM`, with the subject
    /// and URI SANs Palisade chooses. The CSR must be signed by its key (proof of possession),
    /// hold an ECDSA P-256 key, and name at most `CN=<expectedCommonName>` with no extensions.
    public func signClientCSR(
        _ csrPEM: String, expectedCommonName: String, commonName: String, uris: [String], validitySeconds: Int
    ) throws -> String {
        let request = try PEM.withReadBIO(csrPEM) { bio in PEM_read_bio_X509_REQ(bio, nil, nil, nil) }
        guard let request else {
            _ = OpenSSLErrorQueue.drain()
            throw CSRProblem.malformed
        }
        defer { X509_REQ_free(request) }
        guard let publicKey = X509_REQ_get_pubkey(request) else { throw CSRProblem.malformed }
        let key = PrivateKey(taking: publicKey)
        guard X509_REQ_verify(request, publicKey) == 1 else {
            _ = OpenSSLErrorQueue.drain()
            throw CSRProblem.badSignature
        }
        guard EVP_PKEY_get_base_id(publicKey) == EVP_PKEY_EC, EVP_PKEY_get_bits(publicKey) == 256 else {
            throw CSRProblem.unsupportedKey
        }
        try Self.checkSubject(of: request, expectedCommonName: expectedCommonName)
        let template = CertificateTemplate(
            commonName: commonName, purpose: .tlsClient, validitySeconds: validitySeconds, uris: uris)
        return try Self.sign(template, publicKey: key, issuer: certificate, issuerKey: self.key).pem
    }

    private static func checkSubject(of request: OpaquePointer, expectedCommonName: String) throws(CSRProblem) {
        if let extensions = X509_REQ_get_extensions(request) {
            let count = palisade_sk_X509_EXTENSION_num(extensions)
            palisade_sk_X509_EXTENSION_pop_free(extensions)
            guard count == 0 else { throw .forgedSubject }
        }
        guard let name = X509_REQ_get_subject_name(request) else { throw .malformed }
        switch X509_NAME_entry_count(name) {
        case 0:
            return
        case 1:
            guard let entry = X509_NAME_get_entry(name, 0),
                OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)) == NID_commonName,
                let data = X509_NAME_ENTRY_get_data(entry)
            else { throw .forgedSubject }
            var utf8: UnsafeMutablePointer<UInt8>?
            let length = ASN1_STRING_to_UTF8(&utf8, data)
            guard length >= 0, let utf8 else { throw .malformed }
            defer { palisade_OPENSSL_free(utf8) }
            let value = String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
            guard value == expectedCommonName else { throw .forgedSubject }
        default:
            throw .forgedSubject
        }
    }
}

/// The enrolling side: a fresh P-256 key and a CSR for it, signed by that key (proof of
/// possession), naming only `CN=<commonName>`.
public enum CertificateSigningRequest {
    public static func make(commonName: String) throws(PKIError) -> (keyPEM: String, csrPEM: String) {
        let key = try PrivateKey()
        guard let request = X509_REQ_new() else { throw .openSSL("X509_REQ_new") }
        defer { X509_REQ_free(request) }
        guard X509_REQ_set_version(request, 0) == 1, X509_REQ_set_pubkey(request, key.key) == 1,
            let name = X509_REQ_get_subject_name(request),
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1,
            X509_REQ_sign(request, key.key, EVP_sha256()) > 0
        else { throw .openSSL("build CSR") }
        let csr = try PEM.write("write CSR") { bio in PEM_write_bio_X509_REQ(bio, request) }
        return (try key.pem, csr)
    }
}

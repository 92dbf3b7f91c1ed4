internal import COpenSSL

/// What handlers may know of a verified client certificate.
public struct PeerCertificate: Sendable, Hashable {
    /// The subject in RFC 2253 form, e.g. `CN=enforcer-1,O=Palisade`.
    public let subject: String
    /// Every URI subject alternative name, e.g. `urn:palisade:enforcer:<id>`.
    public let uris: [String]
    /// The serial number as lowercase hex without leading zeros.
    public let serialHex: String
    /// The SHA-256 of the DER encoding, as lowercase hex.
    public let sha256Fingerprint: String

    public init(subject: String, uris: [String], serialHex: String, sha256Fingerprint: String) {
        self.subject = subject
        self.uris = uris
        self.serialHex = serialHex
        self.sha256Fingerprint = sha256Fingerprint
    }

    /// Reads the first certificate of a PEM text (an issued certificate, say), or nil.
    public init?(pem: String) {
        let bytes = Array(pem.utf8)
        guard bytes.count < 1 << 20 else { return nil }
        let certificate: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let certificate else {
            _ = OpenSSLErrorQueue.drain()
            return nil
        }
        defer { X509_free(certificate) }
        self.init(x509: certificate)
    }

    /// Reads the fields of an `X509*`; the certificate stays owned by the caller.
    init?(x509 certificate: OpaquePointer) {
        guard let serial = Self.serialHex(certificate), let fingerprint = Self.fingerprint(certificate) else {
            return nil
        }
        self.init(
            subject: Self.subject(certificate), uris: Self.uris(certificate), serialHex: serial,
            sha256Fingerprint: fingerprint)
    }

    private static func subject(_ certificate: OpaquePointer) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0, palisade_XN_FLAG_RFC2253())
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = palisade_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    private static func uris(_ certificate: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { palisade_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for i in 0..<palisade_sk_GENERAL_NAME_num(names) {
            guard let name = palisade_sk_GENERAL_NAME_value(names, i),
                palisade_GENERAL_NAME_type(name) == GEN_URI,
                let ia5 = palisade_GENERAL_NAME_ia5(name),
                let bytes = ASN1_STRING_get0_data(ia5)
            else { continue }
            result.append(
                String(decoding: UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(ia5))), as: UTF8.self))
        }
        return result
    }

    private static func serialHex(_ certificate: OpaquePointer) -> String? {
        guard let serial = X509_get_serialNumber(certificate), let bignum = ASN1_INTEGER_to_BN(serial, nil) else {
            return nil
        }
        defer { BN_free(bignum) }
        guard let hex = BN_bn2hex(bignum) else { return nil }
        defer { palisade_OPENSSL_free(hex) }
        // BN_bn2hex pads to whole bytes ("0AB9…"); the documented form has no leading zeros.
        let digits = String(cString: hex).lowercased().drop { $0 == "0" }
        return digits.isEmpty ? "0" : String(digits)
    }

    private static func fingerprint(_ certificate: OpaquePointer) -> String? {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return nil }
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

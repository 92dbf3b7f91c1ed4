internal import COpenSSL

/// An X.509 certificate (`X509*`), freed in `deinit`.
final class Certificate {
    let x509: OpaquePointer

    init(taking x509: OpaquePointer) { self.x509 = x509 }

    init(pem: String) throws(PKIError) {
        let x509 = try PEM.withReadBIO(pem) { bio in PEM_read_bio_X509(bio, nil, nil, nil) }
        guard let x509 else { throw .openSSL("read certificate") }
        self.x509 = x509
    }

    deinit { X509_free(x509) }

    var pem: String {
        get throws(PKIError) { try PEM.write("write certificate") { bio in PEM_write_bio_X509(bio, x509) } }
    }

    /// Seconds from now until `notAfter` (negative once expired).
    var secondsUntilExpiry: Int {
        var days: Int32 = 0
        var seconds: Int32 = 0
        guard ASN1_TIME_diff(&days, &seconds, nil, X509_get0_notAfter(x509)) == 1 else { return 0 }
        return Int(days) * 86_400 + Int(seconds)
    }
}

/// What to put into a certificate being issued.
struct CertificateTemplate {
    enum Purpose {
        case certificateAuthority
        case tlsServer
        case tlsClient
    }

    var commonName: String
    var organization = "Palisade"
    var purpose: Purpose
    var validitySeconds: Int
    var dnsNames: [String] = []
    var ipAddresses: [String] = []
    var uris: [String] = []

    /// The extensions in OpenSSL's config syntax, in the order they are added.
    var extensions: [(Int32, String)] {
        var result: [(Int32, String)] = []
        switch purpose {
        case .certificateAuthority:
            result.append((NID_basic_constraints, "critical,CA:TRUE,pathlen:0"))
            result.append((NID_key_usage, "critical,keyCertSign,cRLSign"))
        case .tlsServer:
            result.append((NID_basic_constraints, "critical,CA:FALSE"))
            result.append((NID_key_usage, "critical,digitalSignature"))
            result.append((NID_ext_key_usage, "serverAuth"))
        case .tlsClient:
            result.append((NID_basic_constraints, "critical,CA:FALSE"))
            result.append((NID_key_usage, "critical,digitalSignature"))
            result.append((NID_ext_key_usage, "clientAuth"))
        }
        let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" } + uris.map { "URI:\($0)" }
        if !names.isEmpty { result.append((NID_subject_alt_name, names.joined(separator: ","))) }
        result.append((NID_subject_key_identifier, "hash"))
        if purpose != .certificateAuthority { result.append((NID_authority_key_identifier, "keyid:always")) }
        return result
    }
}

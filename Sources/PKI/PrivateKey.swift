internal import COpenSSL

/// An ECDSA P-256 private key (`EVP_PKEY`), freed in `deinit`. Also holds public-only keys
/// taken from a CSR, which are only ever placed into certificates.
final class PrivateKey {
    let key: OpaquePointer

    init(taking key: OpaquePointer) { self.key = key }

    init() throws(PKIError) {
        guard let key = palisade_generate_ec_p256() else { throw .openSSL("generate P-256 key") }
        self.key = key
    }

    init(pem: String) throws(PKIError) {
        let key = try PEM.withReadBIO(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, nil, nil) }
        guard let key else { throw .openSSL("read private key") }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    var pem: String {
        get throws(PKIError) {
            try PEM.write("write private key") { bio in PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) }
        }
    }
}

/// PEM through memory BIOs.
enum PEM {
    static func write(_ operation: String, _ body: (OpaquePointer) -> Int32) throws(PKIError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .openSSL(operation) }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else { throw .openSSL(operation) }
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = palisade_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { throw .openSSL(operation) }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    static func withReadBIO<R>(_ pem: String, _ body: (OpaquePointer) -> R) throws(PKIError) -> R {
        let bytes = Array(pem.utf8)
        guard bytes.count < 1 << 20 else { throw PKIError(operation: "read PEM", reason: "too large") }
        let result: R? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
        guard let result else { throw .openSSL("read PEM") }
        return result
    }
}

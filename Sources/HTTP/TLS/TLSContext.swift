internal import COpenSSL

/// One OpenSSL `SSL_CTX`, shared by every connection of a listener.
///
/// Lifecycle: configured once in `init`, immutable afterwards, freed in `deinit`.
/// Threading: OpenSSL contexts are safe to share across threads once configured.
public final class TLSContext: @unchecked Sendable {
    // Safety (@unchecked Sendable): `context` is never reconfigured after init, and OpenSSL
    // locks the shared session cache internally.

    public enum Version: Sendable {
        case tls12, tls13
    }

    /// Who may connect: anyone, or only clients with a certificate issued by the given CA.
    public enum ClientAuthentication: Sendable {
        case none
        case required(trustedCAPath: String)
        /// A certificate is asked for but may be absent (handlers then refuse what needs one);
        /// one that is presented must chain to the CA, be in date, and not be revoked by
        /// `isRevoked(serialHex)`. Sessions are never resumed, so every handshake is checked.
        case verifiedIfPresented(trustedCAPath: String, isRevoked: @Sendable (String) -> Bool)
    }

    /// Sessions kept for resumption (a bound on the memory fresh handshakes can claim).
    static let sessionCacheSize = 1024

    let context: OpaquePointer
    private let alpn: ALPNPreferences
    private let revocation: RevocationCheck?

    public init(
        certificateChainPath: String,
        privateKeyPath: String,
        minimumVersion: Version = .tls12,
        clientAuthentication: ClientAuthentication = .none,
        applicationProtocols: [String] = ["h2", "http/1.1"]
    ) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .drainingQueue("SSL_CTX_new") }
        alpn = ALPNPreferences(applicationProtocols)
        if case .verifiedIfPresented(_, let isRevoked) = clientAuthentication {
            revocation = RevocationCheck(isRevoked)
        } else {
            revocation = nil
        }
        self.context = context
        // From here on, a throw runs deinit, which frees the context.

        let version = minimumVersion == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION
        guard palisade_SSL_CTX_set_min_proto_version(context, version) == 1 else {
            throw .drainingQueue("set minimum TLS version")
        }
        _ = palisade_SSL_CTX_set_options(
            context,
            palisade_SSL_OP_NO_RENEGOTIATION() | palisade_SSL_OP_NO_COMPRESSION()
                | palisade_SSL_OP_CIPHER_SERVER_PREFERENCE())
        _ = palisade_SSL_CTX_set_mode(
            context, Int(SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)
        )
        _ = palisade_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_SERVER))
        // OpenSSL's default cache holds 20,480 sessions; resumption only needs recent ones, and a
        // smaller cache bounds what a stream of fresh handshakes can make the server keep.
        _ = palisade_SSL_CTX_sess_set_cache_size(context, Self.sessionCacheSize)
        let sessionContext = Array("palisade".utf8)
        _ = SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))

        guard SSL_CTX_use_certificate_chain_file(context, certificateChainPath) == 1 else {
            throw .drainingQueue("load certificate chain \(certificateChainPath)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw .drainingQueue("load private key \(privateKeyPath)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw .drainingQueue("private key does not match certificate")
        }

        switch clientAuthentication {
        case .none:
            break
        case .required(let caPath):
            // Only the given CA is trusted: never the system store.
            guard SSL_CTX_load_verify_locations(context, caPath, nil) == 1 else {
                throw .drainingQueue("load client CA \(caPath)")
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
            SSL_CTX_set_verify_depth(context, 2)
        case .verifiedIfPresented(let caPath, _):
            guard SSL_CTX_load_verify_locations(context, caPath, nil) == 1 else {
                throw .drainingQueue("load client CA \(caPath)")
            }
            // Safety (Unmanaged): `revocation` is a stored property, so it outlives the context.
            SSL_CTX_set_ex_data(context, 0, Unmanaged.passUnretained(revocation!).toOpaque())
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, RevocationCheck.verify)
            SSL_CTX_set_verify_depth(context, 2)
            // Resumed sessions skip verification: turn resumption off so revocation always bites.
            _ = palisade_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_OFF))
            _ = palisade_SSL_CTX_set_options(context, palisade_SSL_OP_NO_TICKET())
        }

        // Safety (Unmanaged): `alpn` is a stored property, so it outlives the context that
        // holds the unretained pointer.
        SSL_CTX_set_alpn_select_cb(
            context,
            { _, out, outLength, clientList, clientLength, arg in
                guard let arg else { return SSL_TLSEXT_ERR_NOACK }
                let ours = Unmanaged<ALPNPreferences>.fromOpaque(arg).takeUnretainedValue().wire
                var selected: UnsafeMutablePointer<UInt8>? = nil
                var selectedLength: UInt8 = 0
                // Walks our list first, so our preference (h2) wins over the client's order.
                let result = SSL_select_next_proto(
                    &selected, &selectedLength, ours.baseAddress, UInt32(ours.count), clientList, clientLength)
                guard result == OPENSSL_NPN_NEGOTIATED, let selected else { return SSL_TLSEXT_ERR_NOACK }
                out?.pointee = UnsafePointer(selected)
                outLength?.pointee = selectedLength
                return SSL_TLSEXT_ERR_OK
            }, Unmanaged.passUnretained(alpn).toOpaque())
    }

    deinit {
        SSL_CTX_free(context)
    }
}

/// The revocation question of a `verifiedIfPresented` context, reachable from OpenSSL's C
/// verify callback through the context's ex_data slot 0.
final class RevocationCheck: @unchecked Sendable {
    // Safety (@unchecked Sendable): immutable; the closure is @Sendable.
    let isRevoked: @Sendable (String) -> Bool

    init(_ isRevoked: @escaping @Sendable (String) -> Bool) { self.isRevoked = isRevoked }

    /// OpenSSL's per-certificate verdict, refined: the leaf must also not be revoked.
    static let verify: @convention(c) (Int32, OpaquePointer?) -> Int32 = { preverified, store in
        guard preverified == 1, let store else { return preverified }
        guard X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }
        guard let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
            let context = SSL_get_SSL_CTX(OpaquePointer(ssl)), let box = SSL_CTX_get_ex_data(context, 0),
            let leaf = X509_STORE_CTX_get_current_cert(store), let identity = PeerCertificate(x509: leaf)
        else { return 0 }
        let check = Unmanaged<RevocationCheck>.fromOpaque(box).takeUnretainedValue()
        if check.isRevoked(identity.serialHex) {
            X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REVOKED)
            return 0
        }
        return 1
    }
}

/// ALPN protocol names in wire format (length-prefixed), at a stable address for OpenSSL.
final class ALPNPreferences {
    let wire: UnsafeMutableBufferPointer<UInt8>

    init(_ protocols: [String]) {
        let bytes = protocols.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        wire = .allocate(capacity: bytes.count)
        _ = wire.initialize(from: bytes)
    }

    deinit { wire.deallocate() }
}

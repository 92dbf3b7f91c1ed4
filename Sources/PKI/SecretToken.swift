internal import COpenSSL
import Foundation

/// Bearer secrets (session tokens, API keys, join tokens): 256 random bits, base64url, behind a
/// short prefix that says what the secret is (`pls_` session, `plk_` API key, `plj_` join
/// token), so a leaked one is recognisable in a scanner or a log.
///
/// Only the SHA-256 of a secret is stored. The secrets are uniformly random, so a fast hash is
/// enough (no dictionary to attack), and lookups go by hash through a unique index: nothing is
/// compared byte by byte in a way whose timing depends on the secret.
public enum SecretToken {
    public enum Kind: String, Sendable {
        case session = "pls_"
        case apiKey = "plk_"
        case joinToken = "plj_"
    }

    public static func generate(_ kind: Kind) throws -> String {
        kind.rawValue + base64URL(try randomBytes(32))
    }

    /// The stored form of a presented secret.
    public static func hash(_ secret: String) -> [UInt8] { Digest.sha256(Array(secret.utf8)) }

    /// Which kind a presented secret claims to be; nil for anything that is not ours, before
    /// any database lookup. Bounded so an oversized header costs nothing.
    public static func kind(of secret: String) -> Kind? {
        guard secret.utf8.count == 47 else { return nil }
        return [Kind.session, .apiKey, .joinToken].first { secret.hasPrefix($0.rawValue) }
    }

    public static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw PasswordHasher.Failure(description: "no randomness") }
        return bytes
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = EVP_Digest(bytes, bytes.count, &output, &length, EVP_sha256(), nil)
        return output
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        sha256(bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

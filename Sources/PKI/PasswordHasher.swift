internal import COpenSSL
import Foundation

/// Password hashing with PBKDF2-HMAC-SHA256 from OpenSSL, 600,000 iterations (OWASP's figure
/// for PBKDF2-SHA256), a 16-byte random salt, compared in constant time.
///
/// Stored form: `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`, so the cost can rise
/// later without invalidating existing hashes. Hashing takes a few hundred milliseconds of CPU:
/// never call it on an event loop.
public enum PasswordHasher {
    public static let iterations = 600_000
    public static let minimumLength = 12
    public static let maximumLength = 1024

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The password policy, in one place for the API and `palisade admin`: 12 to 1024
    /// characters, and not the user name. Returns what is wrong, or nil.
    public static func policyViolation(_ password: String, userName: String) -> String? {
        guard password.count >= minimumLength, password.utf8.count <= maximumLength else {
            return "must have \(minimumLength) to \(maximumLength) characters"
        }
        guard password.lowercased() != userName.lowercased() else { return "must not be the user name" }
        return nil
    }

    public static func hash(_ password: String, iterations: Int = iterations) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&salt, Int32(salt.count)) == 1 else { throw Failure(description: "no randomness") }
        let derived = try derive(password, salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// True when `password` matches `stored`. Malformed stored hashes never match.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]),
            (1_000...10_000_000).contains(iterations), let salt = Data(base64Encoded: String(parts[2])),
            let expected = Data(base64Encoded: String(parts[3])), expected.count == 32,
            let derived = try? derive(password, salt: Array(salt), iterations: iterations)
        else { return false }
        return derived.withUnsafeBytes { a in
            expected.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, 32) == 0 }
        }
    }

    /// A random password for first start: 24 characters from an unambiguous alphabet.
    public static func generatePassword() throws -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var bytes = [UInt8](repeating: 0, count: 24)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { throw Failure(description: "no randomness") }
        return String(bytes.map { alphabet[Int($0) % alphabet.count] })
    }

    private static func derive(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        let bytes = Array(password.utf8)
        guard bytes.count <= maximumLength else { throw Failure(description: "password too long") }
        var output = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withUnsafeBufferPointer { passwordBytes in
            passwordBytes.withMemoryRebound(to: CChar.self) { passwordChars in
                PKCS5_PBKDF2_HMAC(
                    passwordChars.baseAddress, Int32(bytes.count), salt, Int32(salt.count), Int32(iterations),
                    EVP_sha256(),
                    Int32(output.count), &output)
            }
        }
        guard ok == 1 else { throw Failure(description: "PBKDF2 failed") }
        return output
    }
}

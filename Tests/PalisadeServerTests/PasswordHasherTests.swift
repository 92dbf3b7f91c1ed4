import PKI
import Testing

@Suite("Password hashing")
struct PasswordHasherTests {
    @Test("a hash verifies its password and nothing else")
    func roundTrip() throws {
        let stored = try PasswordHasher.hash("correct horse battery staple", iterations: 10_000)
        #expect(stored.hasPrefix("pbkdf2-sha256$10000$"))
        #expect(PasswordHasher.verify("correct horse battery staple", against: stored))
        #expect(!PasswordHasher.verify("correct horse battery stapler", against: stored))
        #expect(!PasswordHasher.verify("", against: stored))
        let again = try PasswordHasher.hash("correct horse battery staple", iterations: 10_000)
        #expect(again != stored, "salts are random")
    }

    @Test("the default cost is 600,000 iterations")
    func cost() throws {
        #expect(try PasswordHasher.hash("x").hasPrefix("pbkdf2-sha256$600000$"))
    }

    @Test(
        "malformed stored hashes never match",
        arguments: [
            "", "plain", "pbkdf2-sha256$1$AAAA$AAAA", "md5$10000$AAAA$AAAA", "pbkdf2-sha256$abc$AAAA$AAAA",
            "pbkdf2-sha256$10000$!!!$AAAA",
        ])
    func malformed(_ stored: String) {
        #expect(!PasswordHasher.verify("x", against: stored))
    }

    @Test("generated passwords are long and differ")
    func generated() throws {
        let a = try PasswordHasher.generatePassword()
        let b = try PasswordHasher.generatePassword()
        #expect(a.count == 24 && b.count == 24 && a != b)
    }
}

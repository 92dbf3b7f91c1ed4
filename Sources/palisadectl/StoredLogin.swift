import Foundation

/// What `palisadectl login` remembers: server, CA bundle and session token, in
/// `$XDG_CONFIG_HOME/palisade/palisadectl.json` (default `~/.config/...`), mode 0600.
struct StoredLogin: Codable {
    var server: String
    var ca: String?
    var token: String?
    var user: String?

    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return base + "/palisade/palisadectl.json"
    }

    static func load() -> StoredLogin? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(StoredLogin.self, from: data)
    }

    func save() throws(Failure) {
        let path = Self.path
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            // Created 0600 before the token is written, never world-readable for a moment.
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            try encoder.encode(self).write(to: URL(fileURLWithPath: path))
        } catch {
            throw .data("cannot save the login to \(path): \(error.localizedDescription)")
        }
    }
}

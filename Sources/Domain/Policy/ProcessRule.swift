/// One entry of a group's process profile: a process the group's workloads may (or may not) run.
/// Empty `path` or `user` means any.
public struct ProcessRule: Codable, Sendable, Equatable, Hashable {
    public static let maxEntries = 512

    public var name: String
    public var path: String
    public var user: String
    public var action: RuleAction
    public var learned: Bool

    public init(name: String, path: String = "", user: String = "", action: RuleAction = .allow, learned: Bool = false)
    {
        self.name = name
        self.path = path
        self.user = user
        self.action = action
        self.learned = learned
    }

    enum CodingKeys: String, CodingKey { case name, path, user, action, learned }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        path = try container.decodeIfPresent(String.self, forKey: .path) ?? ""
        user = try container.decodeIfPresent(String.self, forKey: .user) ?? ""
        action = try container.decodeIfPresent(RuleAction.self, forKey: .action) ?? .allow
        learned = try container.decodeIfPresent(Bool.self, forKey: .learned) ?? false
    }

    public func validate() throws(ValidationError) {
        guard Token.matches(name, maxLength: 64, { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            throw ValidationError(field: "name", problem: "must be 1-64 printable characters without spaces or '/'")
        }
        guard path.isEmpty || (path.hasPrefix("/") && Token.matches(path, maxLength: 1024, { $0 > 0x20 && $0 < 0x7F }))
        else { throw ValidationError(field: "path", problem: "must be empty or an absolute path without spaces") }
        guard user.isEmpty || Token.matches(user, maxLength: 64, { $0.isLetterOrDigit || "._-$".utf8.contains($0) })
        else { throw ValidationError(field: "user", problem: "must be empty or a user name") }
    }

    /// Validates a whole profile: bounded, each entry valid, no entry twice.
    public static func validate(_ entries: [ProcessRule]) throws(ValidationError) {
        guard entries.count <= maxEntries else {
            throw ValidationError(field: "items", problem: "has more than \(maxEntries) entries")
        }
        var seen = Set<[String]>()
        for (index, entry) in entries.enumerated() {
            do { try entry.validate() } catch { throw error.nested(under: "items[\(index)]") }
            guard seen.insert([entry.name, entry.path, entry.user]).inserted else {
                throw ValidationError(field: "items[\(index)]", problem: "repeats an earlier entry")
            }
        }
    }
}

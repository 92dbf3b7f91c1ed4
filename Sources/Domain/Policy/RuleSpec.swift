/// What a network rule says, without its bookkeeping (id, hits): the part people write, export
/// and import. Rules are ordered; the first rule that matches a connection decides it.
public struct RuleSpec: Codable, Sendable, Equatable {
    public static let maxApplications = 16

    public var from: String
    public var to: String
    public var ports: [String]
    public var applications: [String]
    public var action: RuleAction
    public var learned: Bool
    public var enabled: Bool
    public var comment: String?

    public init(
        from: String, to: String, ports: [String] = ["any"], applications: [String] = [], action: RuleAction,
        learned: Bool = false, enabled: Bool = true, comment: String? = nil
    ) {
        self.from = from
        self.to = to
        self.ports = ports
        self.applications = applications
        self.action = action
        self.learned = learned
        self.enabled = enabled
        self.comment = comment
    }

    enum CodingKeys: String, CodingKey {
        case from, to, ports, applications, action, learned, enabled, comment
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        from = try container.decode(String.self, forKey: .from)
        to = try container.decode(String.self, forKey: .to)
        ports = try container.decodeIfPresent([String].self, forKey: .ports) ?? ["any"]
        applications = try container.decodeIfPresent([String].self, forKey: .applications) ?? []
        action = try container.decode(RuleAction.self, forKey: .action)
        learned = try container.decodeIfPresent(Bool.self, forKey: .learned) ?? false
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        comment = try container.decodeIfPresent(String.self, forKey: .comment)
    }

    /// Checks every field and returns the rule with its ports in canonical form.
    public func validated() throws(ValidationError) -> RuleSpec {
        for (field, group) in [("from", from), ("to", to)] where !Token.isGroupName(group) {
            throw ValidationError(field: field, problem: "must be a group name")
        }
        var copy = self
        copy.ports = try PortSpec.canonical(ports)
        guard applications.count <= Self.maxApplications else {
            throw ValidationError(field: "applications", problem: "has more than \(Self.maxApplications) entries")
        }
        for (index, application) in applications.enumerated() where !Token.isApplication(application) {
            throw ValidationError(
                field: "applications[\(index)]", problem: "must be 1-32 characters of letters, digits and ._-")
        }
        guard Set(applications).count == applications.count else {
            throw ValidationError(field: "applications", problem: "has repeated entries")
        }
        try Comment.validate(comment)
        return copy
    }
}

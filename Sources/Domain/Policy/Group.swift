/// A set of workloads that policy talks about: the members are the workloads that meet every
/// criterion. Learned groups are made by discovery (one per service); user groups by people.
public struct Group: Codable, Sendable, Equatable {
    public static let maxCriteria = 32

    public var name: String
    public var criteria: [Criterion]
    public var policyMode: PolicyMode
    public var learned: Bool
    public var comment: String?

    public init(
        name: String, criteria: [Criterion] = [], policyMode: PolicyMode = .discover, learned: Bool = false,
        comment: String? = nil
    ) {
        self.name = name
        self.criteria = criteria
        self.policyMode = policyMode
        self.learned = learned
        self.comment = comment
    }

    enum CodingKeys: String, CodingKey {
        case name, criteria
        case policyMode = "policy_mode"
        case learned, comment
    }

    /// Everything but the name may be left out of a request; the defaults are a user group in
    /// discover mode without criteria.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        criteria = try container.decodeIfPresent([Criterion].self, forKey: .criteria) ?? []
        policyMode = try container.decodeIfPresent(PolicyMode.self, forKey: .policyMode) ?? .discover
        learned = try container.decodeIfPresent(Bool.self, forKey: .learned) ?? false
        comment = try container.decodeIfPresent(String.self, forKey: .comment)
    }

    public func validate() throws(ValidationError) {
        guard Token.isGroupName(name) else {
            throw ValidationError(field: "name", problem: "must be 1-128 characters of letters, digits and ._:-")
        }
        guard criteria.count <= Self.maxCriteria else {
            throw ValidationError(field: "criteria", problem: "has more than \(Self.maxCriteria) entries")
        }
        for (index, criterion) in criteria.enumerated() {
            do { try criterion.validate() } catch { throw error.nested(under: "criteria[\(index)]") }
        }
        try Comment.validate(comment)
    }

    public func matches(_ workload: WorkloadFacts) -> Bool {
        !criteria.isEmpty && criteria.allSatisfy { $0.matches(workload) }
    }
}

/// Free-text comments on policy objects: bounded, no control characters.
public enum Comment {
    public static let maxLength = 1024

    public static func validate(_ comment: String?, field: String = "comment") throws(ValidationError) {
        guard let comment else { return }
        guard comment.utf8.count <= maxLength,
            !comment.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw ValidationError(
                field: field, problem: "must be at most \(maxLength) bytes without control characters")
        }
    }
}

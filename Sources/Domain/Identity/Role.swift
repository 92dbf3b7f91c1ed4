/// What a caller may do. Each role includes everything the roles below it may do:
/// `reader` reads, `operator` also writes policy, response rules and join tokens, `admin` also
/// manages users and API keys.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    case reader
    case `operator`
    case admin

    private var rank: Int {
        switch self {
        case .reader: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// True when a caller with this role may use something that requires `required`.
    public func satisfies(_ required: Role) -> Bool { self >= required }
}

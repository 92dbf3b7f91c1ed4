/// What enforcers report and Palisade records as events.
public enum EventKind: String, Codable, Sendable, CaseIterable {
    case networkViolation = "network_violation"
    case process
    case file
    case threat
    case connection
    case system
}

public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case info, low, medium, high, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

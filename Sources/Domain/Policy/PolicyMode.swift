/// How enforcers treat a group's workloads (NeuVector's three modes).
/// - `discover`: allow everything, learn rules and process profiles from what is seen.
/// - `monitor`: allow everything, raise a violation event for what policy does not allow.
/// - `protect`: block what policy does not allow, and raise a violation event.
public enum PolicyMode: String, Codable, Sendable, CaseIterable {
    case discover
    case monitor
    case protect
}

/// Allow or deny; the action of network rules and process profile entries.
public enum RuleAction: String, Codable, Sendable, CaseIterable {
    case allow
    case deny
}

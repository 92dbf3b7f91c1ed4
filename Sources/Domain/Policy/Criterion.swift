/// One condition of a group's membership: `{key, op, value}`. A workload belongs to a group
/// when it meets every criterion (AND); a group without criteria has no computed members.
///
/// Values are literals, never patterns: `prefix` and `contains` cover what wildcards are used
/// for, and nothing is left that could be a slow or surprising regular expression.
public struct Criterion: Codable, Sendable, Equatable, Hashable {
    public enum Key: String, Codable, Sendable, CaseIterable {
        case namespace
        /// `value` is `name=value` (label has that value) or `name` (label present).
        case label
        case image
        /// The workload's name.
        case name
        /// `value` is an IP address or CIDR; a workload matches when one of its addresses is inside.
        case address
        /// The service the enforcer reported the workload under (learned service groups use it).
        case service
    }

    public enum Op: String, Codable, Sendable, CaseIterable {
        case eq
        case ne
        case prefix
        case contains
    }

    public var key: Key
    public var op: Op
    public var value: String

    public init(key: Key, op: Op, value: String) {
        self.key = key
        self.op = op
        self.value = value
    }

    public func validate() throws(ValidationError) {
        switch key {
        case .address:
            guard op == .eq || op == .ne else {
                throw ValidationError(field: "op", problem: "must be 'eq' or 'ne' for 'address'")
            }
            guard IPNetwork(value) != nil else {
                throw ValidationError(field: "value", problem: "must be an IP address or CIDR such as 10.0.0.0/8")
            }
        case .namespace, .label, .image, .name, .service:
            guard Token.isLiteralValue(value) else {
                throw ValidationError(
                    field: "value",
                    problem:
                        "must be 1-253 characters of letters, digits and ._:/@=- (values are literal, not patterns)"
                )
            }
        }
    }

    public func matches(_ workload: WorkloadFacts) -> Bool {
        switch key {
        case .namespace: return compare(workload.namespace)
        case .image: return compare(workload.image)
        case .name: return compare(workload.name)
        case .service: return compare(workload.service ?? "")
        case .label:
            let parts = value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let label = workload.labels[String(parts[0])]
            if parts.count == 1 { return (label != nil) == (op != .ne) }
            guard let label else { return op == .ne }
            return Criterion(key: .name, op: op, value: String(parts[1])).compare(label)
        case .address:
            guard let network = IPNetwork(value) else { return false }
            let inside = workload.addresses.contains { IPNetwork($0).map(network.contains) ?? false }
            return inside == (op == .eq)
        }
    }

    private func compare(_ actual: String) -> Bool {
        switch op {
        case .eq: actual == value
        case .ne: actual != value
        case .prefix: actual.hasPrefix(value)
        case .contains: actual.contains(value)
        }
    }
}

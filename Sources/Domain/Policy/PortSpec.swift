/// One entry of a rule's `ports`: `any`, `icmp`, `tcp/80`, `udp/53`, `tcp/8000-8080`, `tcp/any`.
/// Parsed once, kept in canonical lowercase text so equal ports compare equal.
public struct PortSpec: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable, CaseIterable {
        case tcp, udp, sctp, icmp, any
    }

    public let transport: Transport
    /// nil: every port of the transport.
    public let ports: ClosedRange<Int>?

    public init?(_ text: String) {
        guard text.utf8.count <= 16 else { return nil }
        let lower = text.lowercased()
        if lower == "any" || lower == "icmp" {
            transport = lower == "any" ? .any : .icmp
            ports = nil
            return
        }
        let parts = lower.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let transport = Transport(rawValue: String(parts[0])),
            [.tcp, .udp, .sctp].contains(transport)
        else { return nil }
        self.transport = transport
        if parts[1] == "any" {
            ports = nil
            return
        }
        let bounds = parts[1].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map {
            Self.port($0)
        }
        guard let low = bounds[0], let high = bounds.count == 2 ? bounds[1] : low, low <= high else { return nil }
        ports = low...high
    }

    private static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int(text), (1...65535).contains(value)
        else { return nil }
        return value
    }

    public var description: String {
        switch transport {
        case .any, .icmp: return transport.rawValue
        default:
            guard let ports else { return "\(transport.rawValue)/any" }
            let range =
                ports.lowerBound == ports.upperBound ? "\(ports.lowerBound)" : "\(ports.lowerBound)-\(ports.upperBound)"
            return "\(transport.rawValue)/\(range)"
        }
    }

    /// Validates and canonicalises a rule's port list: at most `limit`, no duplicates, `any` alone.
    public static func canonical(_ texts: [String], limit: Int = 32) throws(ValidationError) -> [String] {
        guard !texts.isEmpty else { return ["any"] }
        guard texts.count <= limit else {
            throw ValidationError(field: "ports", problem: "has more than \(limit) entries")
        }
        var result: [String] = []
        for (index, text) in texts.enumerated() {
            guard let spec = PortSpec(text) else {
                throw ValidationError(
                    field: "ports[\(index)]",
                    problem: "must be any, icmp, or tcp|udp|sctp/<port>, /<low>-<high> or /any")
            }
            guard !result.contains(spec.description) else {
                throw ValidationError(field: "ports[\(index)]", problem: "repeats '\(spec.description)'")
            }
            result.append(spec.description)
        }
        if result.count > 1 && result.contains("any") {
            throw ValidationError(field: "ports", problem: "cannot combine 'any' with other ports")
        }
        return result
    }

    /// True when this entry admits `other` (a single port, or icmp): `any`, the transport's
    /// `/any`, a range holding the port, or the same port.
    public func covers(_ other: PortSpec) -> Bool {
        if transport == .any { return true }
        guard transport == other.transport else { return false }
        guard let ports else { return true }
        guard let theirs = other.ports else { return false }
        return ports.contains(theirs.lowerBound) && ports.contains(theirs.upperBound)
    }

    /// Learning's port merge: adds `port` unless already covered; past `collapseAbove` entries
    /// the rule opens to `any` (a service answering on many ports is not worth listing).
    public static func merge(_ ports: [String], adding port: String, collapseAbove: Int = 8) -> [String] {
        guard let added = PortSpec(port) else { return ports }
        if ports.compactMap(PortSpec.init).contains(where: { $0.covers(added) }) { return ports }
        let merged = ports + [added.description]
        return merged.count > collapseAbove ? ["any"] : merged
    }
}

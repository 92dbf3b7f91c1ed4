/// The dashboard's 0–100 security risk score, in the spirit of NeuVector's: how much of the
/// cluster is left unprotected, plus what is happening to it now. Higher is worse.
///
/// score = exposure (0–40) + violations (0–30) + threats (0–20) + enforcer health (0–10), where
/// - exposure = 40 × (discover + unmanaged + ½ monitor workloads) / all workloads (0 with none),
/// - violations = min(30, 3 × critical + 1.5 × high + 0.5 × medium + 0.1 × low violation events),
/// - threats = min(20, 5 × high-or-critical threat events + 1 × other threat events),
/// - enforcer health = 10 × (disconnected + lagging enforcers) / enforcers not revoked (0 with none),
/// rounded to the nearest integer. Events count within the dashboard's window.
public struct RiskScore: Sendable, Equatable, Codable {
    public struct Inputs: Sendable {
        public var workloadsByMode: [PolicyMode: Int] = [:]
        public var unmanagedWorkloads = 0
        public var violationsBySeverity: [Severity: Int] = [:]
        public var severeThreats = 0
        public var otherThreats = 0
        public var enforcers = 0
        public var unhealthyEnforcers = 0

        public init() {}
    }

    public let score: Int
    public let exposure: Double
    public let violations: Double
    public let threats: Double
    public let enforcerHealth: Double

    enum CodingKeys: String, CodingKey {
        case score, exposure, violations, threats
        case enforcerHealth = "enforcer_health"
    }

    public init(_ inputs: Inputs) {
        let discover = Double(inputs.workloadsByMode[.discover] ?? 0)
        let monitor = Double(inputs.workloadsByMode[.monitor] ?? 0)
        let unmanaged = Double(inputs.unmanagedWorkloads)
        let total = discover + monitor + Double(inputs.workloadsByMode[.protect] ?? 0) + unmanaged
        exposure = total == 0 ? 0 : 40 * (discover + unmanaged + monitor / 2) / total
        let count = { (severity: Severity) in Double(inputs.violationsBySeverity[severity] ?? 0) }
        violations = min(30, 3 * count(.critical) + 1.5 * count(.high) + 0.5 * count(.medium) + 0.1 * count(.low))
        threats = min(20, 5 * Double(inputs.severeThreats) + Double(inputs.otherThreats))
        enforcerHealth =
            inputs.enforcers == 0
            ? 0 : 10 * Double(min(inputs.unhealthyEnforcers, inputs.enforcers)) / Double(inputs.enforcers)
        score = max(0, min(100, Int((exposure + violations + threats + enforcerHealth).rounded())))
    }
}

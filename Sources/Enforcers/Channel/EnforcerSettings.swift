import Foundation

/// Limits and timings of the enforcer channel.
public struct EnforcerSettings: Sendable {
    /// Lifetime of an enforcer's client certificate; it renews after two thirds of it.
    public var certificateValidity: TimeInterval = 24 * 3600
    /// A heartbeat line goes down every policy stream this often.
    public var heartbeatInterval: Duration = .seconds(15)
    /// Reports older than this, or further ahead than `maximumClockSkew`, are refused.
    public var maximumReportAge: TimeInterval = 7 * 86_400
    public var maximumClockSkew: TimeInterval = 300

    public init() {}
}

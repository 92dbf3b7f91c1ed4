import Foundation
import Synchronization

/// Counts failed sign-ins per user name and per source address in a sliding window; past the
/// limit, sign-in answers `rate_limited` without checking the password (so guessing costs the
/// attacker time, not us CPU). A success clears the user's count.
///
/// Kept in memory: each replica limits on its own, which bounds guessing per replica; see
/// docs/API.md. Bounded in size.
final class LoginThrottle: Sendable {
    private struct Failures {
        var times: [Date] = []
    }

    private let perUser: Int
    private let perAddress: Int
    private let window: TimeInterval
    private let state = Mutex<[String: Failures]>([:])
    static let maximumKeys = 50_000

    init(perUser: Int, perAddress: Int, window: TimeInterval) {
        self.perUser = perUser
        self.perAddress = perAddress
        self.window = window
    }

    /// Seconds to wait before another attempt is considered, or nil when one may go ahead.
    func retryAfter(user: String, address: String, now: Date = Date()) -> Int? {
        state.withLock { entries in
            let waits = [("user:" + user.lowercased(), perUser), ("address:" + address, perAddress)].compactMap {
                key, limit -> TimeInterval? in
                let recent = entries[key]?.times.filter { now.timeIntervalSince($0) < window } ?? []
                guard recent.count >= limit, let oldest = recent.first else { return nil }
                return window - now.timeIntervalSince(oldest)
            }
            return waits.max().map { max(1, Int($0.rounded(.up))) }
        }
    }

    func recordFailure(user: String, address: String, now: Date = Date()) {
        state.withLock { entries in
            if entries.count >= Self.maximumKeys {
                // Expired windows first; if that is not enough, user counts (address counts are
                // what stops one source from spraying many names, so they stay).
                entries = entries.filter { $0.value.times.contains { now.timeIntervalSince($0) < window } }
                if entries.count >= Self.maximumKeys { entries = entries.filter { $0.key.hasPrefix("address:") } }
            }
            for key in ["user:" + user.lowercased(), "address:" + address] {
                var failures = entries[key] ?? Failures()
                failures.times = failures.times.filter { now.timeIntervalSince($0) < window } + [now]
                entries[key] = failures
            }
        }
    }

    func recordSuccess(user: String) {
        _ = state.withLock { $0.removeValue(forKey: "user:" + user.lowercased()) }
    }
}

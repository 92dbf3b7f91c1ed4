/// Token buckets for the control frames a peer could flood us with, per connection.
///
/// nghttp2 already bounds outbound ACK queues, SETTINGS entries, CONTINUATION counts and the
/// stream reset rate; these budgets bound the rest (PING, SETTINGS, PRIORITY, empty DATA,
/// RST_STREAM, invalid frames) so a connection that spends faster than honest clients ever do
/// is told GOAWAY(ENHANCE_YOUR_CALM).
struct FrameBudget {
    enum Kind: Int, CaseIterable {
        case ping, settings, priority, emptyData, reset, invalid, headerOverflow
    }

    private struct Bucket {
        var tokens: Double
        let burst: Double
        let perSecond: Double
    }

    private var buckets: [Bucket]
    private var lastRefill: UInt64

    init(now: UInt64) {
        lastRefill = now
        buckets = Kind.allCases.map { kind in
            let (burst, rate): (Double, Double)
            switch kind {
            case .ping: (burst, rate) = (50, 10)
            case .settings: (burst, rate) = (50, 10)
            case .priority: (burst, rate) = (1000, 200)
            case .emptyData: (burst, rate) = (100, 20)
            case .reset: (burst, rate) = (500, 50)
            case .invalid: (burst, rate) = (10, 1)
            case .headerOverflow: (burst, rate) = (10, 1)
            }
            return Bucket(tokens: burst, burst: burst, perSecond: rate)
        }
    }

    /// Spends one token; false when the bucket is empty (the peer is abusive).
    mutating func spend(_ kind: Kind, now: UInt64) -> Bool {
        if now > lastRefill {
            let seconds = Double(now - lastRefill) / 1000
            for i in buckets.indices {
                buckets[i].tokens = min(buckets[i].burst, buckets[i].tokens + seconds * buckets[i].perSecond)
            }
            lastRefill = now
        }
        guard buckets[kind.rawValue].tokens >= 1 else { return false }
        buckets[kind.rawValue].tokens -= 1
        return true
    }
}

/// Where the live event feed stands in the `events` id sequence, allowing for transactions
/// that commit out of id order.
///
/// Ids come from a sequence when a row is inserted, but become visible when its transaction
/// commits: id 105 can be readable while 104 is still in flight. The cursor therefore keeps a
/// watermark (every id at or below it was delivered or given up on), the ids above it already
/// delivered, and the gaps between them with the time each was first seen. A gap still missing
/// after `patience` belongs to a rolled-back transaction (sequences never give numbers back) and
/// is passed over.
///
/// A value type with no I/O, so its rules are unit-tested directly.
public struct FeedCursor: Sendable {
    public private(set) var watermark: Int64
    /// Ids above the watermark already delivered.
    private var delivered: Set<Int64> = []
    /// Missing ranges above the watermark, ascending, with when each was first noticed.
    private var gaps: [(range: ClosedRange<Int64>, since: ContinuousClock.Instant)] = []
    public let patience: Duration

    public init(watermark: Int64, patience: Duration = .seconds(10)) {
        self.watermark = watermark
        self.patience = patience
    }

    /// Takes the ids a read of `id > watermark` returned and answers which of them are new.
    public mutating func accept(_ ids: [Int64], now: ContinuousClock.Instant) -> Set<Int64> {
        let fresh = Set(ids.filter { $0 > watermark && !delivered.contains($0) })
        delivered.formUnion(fresh)
        regap(now: now)
        advance(now: now)
        return fresh
    }

    /// Whether a gap is still awaited (the feed reads again soon rather than waiting for news).
    public var isWaiting: Bool { !gaps.isEmpty }

    private mutating func regap(now: ContinuousClock.Instant) {
        var missing: [(range: ClosedRange<Int64>, since: ContinuousClock.Instant)] = []
        var next = watermark + 1
        for id in delivered.sorted() {
            if id > next { missing.append((next...(id - 1), firstSeen(next...(id - 1), default: now))) }
            next = id + 1
        }
        gaps = missing
    }

    /// The earliest time any part of `range` was already known missing.
    private func firstSeen(_ range: ClosedRange<Int64>, default now: ContinuousClock.Instant) -> ContinuousClock.Instant
    {
        gaps.filter { $0.range.overlaps(range) }.map(\.since).min() ?? now
    }

    private mutating func advance(now: ContinuousClock.Instant) {
        while let gap = gaps.first, now - gap.since >= patience { gaps.removeFirst() }
        let top = delivered.max() ?? watermark
        watermark = gaps.first.map { $0.range.lowerBound - 1 } ?? top
        delivered = delivered.filter { $0 > watermark }
    }
}

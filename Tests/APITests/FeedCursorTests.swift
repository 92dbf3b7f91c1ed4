import Testing

@testable import API

@Suite("The live event feed's cursor")
struct FeedCursorTests {
    let start = ContinuousClock.now

    @Test("ids read in order are each new once and move the watermark")
    func inOrder() {
        var cursor = FeedCursor(watermark: 10)
        #expect(cursor.accept([11, 12, 13], now: start) == [11, 12, 13])
        #expect(cursor.watermark == 13)
        #expect(cursor.accept([13, 14], now: start) == [14])
        #expect(cursor.watermark == 14)
        #expect(!cursor.isWaiting)
    }

    @Test("an id that commits after a higher one is still delivered, and nothing twice")
    func outOfOrderCommit() {
        var cursor = FeedCursor(watermark: 4)
        #expect(cursor.accept([5, 7], now: start) == [5, 7])
        // 6 is still in flight: the watermark waits below it, so the next read asks again.
        #expect(cursor.watermark == 5)
        #expect(cursor.isWaiting)
        #expect(cursor.accept([6, 7], now: start + .seconds(1)) == [6])
        #expect(cursor.watermark == 7)
        #expect(!cursor.isWaiting)
        #expect(cursor.accept([7], now: start + .seconds(2)) == [])
    }

    @Test("a gap left by a rolled-back transaction is passed over after the patience")
    func rolledBackGap() {
        var cursor = FeedCursor(watermark: 0, patience: .seconds(10))
        #expect(cursor.accept([1, 3, 4], now: start) == [1, 3, 4])
        #expect(cursor.watermark == 1)
        #expect(cursor.accept([3, 4], now: start + .seconds(9)) == [])
        #expect(cursor.watermark == 1)
        #expect(cursor.accept([3, 4], now: start + .seconds(10)) == [])
        #expect(cursor.watermark == 4)
        #expect(!cursor.isWaiting)
        // A row that commits after its gap was given up on is not sent (it would arrive out of
        // order); clients that need it page /v1/events.
        #expect(cursor.accept([2, 5], now: start + .seconds(11)) == [5])
    }

    @Test("several gaps are tracked separately, each with its own first sighting")
    func severalGaps() {
        var cursor = FeedCursor(watermark: 0, patience: .seconds(10))
        _ = cursor.accept([2], now: start)
        _ = cursor.accept([2, 5], now: start + .seconds(5))
        #expect(cursor.watermark == 0)
        // Gap 1 expires at 10 s; gap 3...4 was first seen at 5 s and waits until 15 s.
        _ = cursor.accept([2, 5], now: start + .seconds(10))
        #expect(cursor.watermark == 2)
        #expect(cursor.accept([3, 4, 5], now: start + .seconds(12)) == [3, 4])
        #expect(cursor.watermark == 5)
    }

    @Test("ids at or below the watermark are never new")
    func belowWatermark() {
        var cursor = FeedCursor(watermark: 100)
        #expect(cursor.accept([99, 100], now: start) == [])
        #expect(cursor.watermark == 100)
    }
}

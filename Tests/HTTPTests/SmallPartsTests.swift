import Testing

@testable import HTTP

@Suite("Timer wheel, frame budget, byte buffer")
struct SmallPartsTests {
    final class Target: TimeoutChecking {
        var fired: [UInt64] = []
        var next: [UInt64]
        init(next: [UInt64]) { self.next = next }
        func checkTimeouts(now: UInt64) -> UInt64? {
            fired.append(now)
            return next.isEmpty ? nil : next.removeFirst()
        }
    }

    @Test("timers fire once their slot is due, re-arm lazily, and wait extra laps when far away")
    func wheel() {
        var wheel = TimerWheel(now: 10_000)
        let soon = Target(next: [14_500])
        let far = Target(next: [])
        wheel.schedule(soon, at: 12_000)
        wheel.schedule(far, at: 10_000 + 100_000)  // Beyond one 64-second lap.
        wheel.advance(to: 11_999)
        #expect(soon.fired.isEmpty)
        wheel.advance(to: 12_000)
        #expect(soon.fired == [12_000])
        wheel.advance(to: 15_000)
        #expect(soon.fired == [12_000, 15_000])
        wheel.advance(to: 80_000)
        #expect(far.fired.isEmpty)
        wheel.advance(to: 110_000)
        #expect(far.fired == [110_000])
    }

    @Test("a frame budget allows its burst, refuses beyond it, and refills with time")
    func budget() {
        var budget = FrameBudget(now: 0)
        let burst = (0..<50).map { _ in budget.spend(.ping, now: 0) }
        #expect(burst.allSatisfy { $0 })
        let beyond = budget.spend(.ping, now: 0)
        #expect(!beyond)
        let otherKind = budget.spend(.settings, now: 0)
        #expect(otherKind, "buckets are independent")
        let refilled = budget.spend(.ping, now: 200)
        #expect(refilled, "10 per second refill: 2 tokens after 200 ms")
    }

    @Test("a byte buffer consumes from the front and finds CRLF within a limit")
    func buffer() {
        var buffer = ByteBuffer()
        buffer.append("abc\r\ndef")
        #expect(buffer.firstCRLF(limit: 10) == 3)
        #expect(buffer.firstCRLF(limit: 2) == nil)
        #expect(buffer.read(5) == Array("abc\r\n".utf8))
        #expect(buffer.count == 3 && buffer[0] == UInt8(ascii: "d"))
        buffer.consume(3)
        #expect(buffer.isEmpty)
    }

    @Test("socket addresses parse v4, v6 and localhost, and refuse names and bad ports")
    func addresses() {
        #expect(SocketAddress(parsing: "127.0.0.1:10443") == SocketAddress(host: "127.0.0.1", port: 10443))
        #expect(SocketAddress(parsing: "[::1]:80")?.description == "[::1]:80")
        #expect(SocketAddress(parsing: "localhost:1")?.host == "127.0.0.1")
        #expect(SocketAddress(parsing: "example.com:80") == nil)
        #expect(SocketAddress(parsing: "127.0.0.1:70000") == nil)
        #expect(SocketAddress(parsing: "127.0.0.1") == nil)
    }
}

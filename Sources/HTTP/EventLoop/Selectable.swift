/// A file descriptor an event loop watches, with the code to run when it is ready.
///
/// Threading: every method is called on the owning loop's thread only.
public protocol Selectable: AnyObject {
    var fd: Int32 { get }
    func readable()
    func writable()
}

/// Something with output gathered during a loop iteration, written once at its end.
protocol Flushable: AnyObject {
    var isMarkedForFlush: Bool { get set }
    func flush()
}

/// Something with deadlines that the loop's timer wheel checks.
protocol TimeoutChecking: AnyObject {
    /// Acts on every deadline at or before `now` and returns the next one, or nil for none.
    func checkTimeouts(now: UInt64) -> UInt64?
}

/// Milliseconds on the monotonic clock.
enum MonotonicClock {
    static func nowMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}

#if canImport(Glibc)
    import Glibc
#endif

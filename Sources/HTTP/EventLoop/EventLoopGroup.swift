import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One event loop per core, each on its own thread.
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)

    /// Creates and starts `count` loops (default: one per online core).
    public init(count: Int = EventLoopGroup.coreCount) throws(SystemError) {
        var loops: [EventLoop] = []
        for index in 0..<max(1, count) { loops.append(try EventLoop(index: index)) }
        self.loops = loops
        let started = DispatchSemaphore(value: 0)
        for loop in loops { loop.start(started: started) }
        for _ in loops { started.wait() }
    }

    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Round-robin choice, for work that is not tied to a connection.
    public func next() -> EventLoop {
        loops[nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    public func stop() {
        for loop in loops { loop.stop() }
    }
}

internal import CLinux
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One thread with its own `epoll` instance and `eventfd`.
///
/// Lifecycle: created and started by an `EventLoopGroup`, runs until `stop()`. Threading: the
/// registration, flush and timer APIs are for the loop's own thread; `execute(_:)` and the
/// `TaskExecutor` conformance may be called from anywhere and wake the loop through its eventfd.
public final class EventLoop: @unchecked Sendable {
    // Safety (@unchecked Sendable): the mutable state below is touched only on the loop thread,
    // except `inbox`, which is behind a Mutex, and `threadID`, which is atomic.

    enum Work: Sendable {
        case task(@Sendable () -> Void)
        case job(UnownedJob)
    }

    struct Inbox {
        var work: [Work] = []
        var wakePending = false
        /// Set when the loop thread has exited; later work is redirected (`post`).
        var exited = false
    }

    public let index: Int
    private let epollFD: Int32
    private let wakeFD: Int32
    private let inbox = Mutex(Inbox())
    /// The loop thread's id while it runs, 0 before and after: a pthread_t is reused by later
    /// threads, so a stopped loop must not recognise a stranger as its own thread.
    private let threadID = Atomic<UInt>(0)
    private var stopped = false
    /// Work posted from the loop's own thread: no lock needed, and no wake-up either.
    private var localWork: [Work] = []
    /// An emptied work array kept for reuse, so draining does not allocate per iteration.
    private var spareWork: [Work] = []
    private var watched: [(any Selectable)?] = []
    private var dirty: [any Flushable] = []
    private var timers: TimerWheel
    /// The monotonic time at the start of this iteration, in milliseconds.
    public private(set) var now: UInt64
    /// Scratch space for socket reads; every connection of this loop borrows it in turn.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    init(index: Int) throws(SystemError) {
        self.index = index
        epollFD = try retryingEINTR("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        let wake = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        if wake < 0 {
            let code = errno
            close(epollFD)
            throw SystemError(call: "eventfd", errno: code)
        }
        wakeFD = wake
        now = MonotonicClock.nowMilliseconds()
        timers = TimerWheel(now: now)
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        _ = epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
    }

    deinit {
        readBuffer.deallocate()
        close(wakeFD)
        close(epollFD)
    }

    /// True on this loop's own thread.
    public var inEventLoop: Bool { threadID.load(ordering: .relaxed) == UInt(pthread_self()) }

    /// Runs `task` on the loop thread soon; safe from any thread.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        post(.task(task))
    }

    /// Runs `body` now when already on this loop, otherwise posts it. For callers handing
    /// loop-confined work (which need not be `Sendable`) to the loop that owns it.
    public func executeOrRun(_ body: @escaping () -> Void) {
        if inEventLoop { return body() }
        // Safety (UnsafeTransfer): the closure is handed to the loop and run there once; what it
        // captures is confined to that loop from then on.
        let transfer = UnsafeTransfer(body)
        execute { transfer.value() }
    }

    func post(_ work: Work) {
        if inEventLoop {
            localWork.append(work)
            return
        }
        let wake = inbox.withLock { inbox -> Bool? in
            if inbox.exited { return nil }
            inbox.work.append(work)
            if inbox.wakePending { return false }
            inbox.wakePending = true
            return true
        }
        guard let wake else { return Self.redirect([work]) }
        if wake {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Work for a loop that has stopped: Swift jobs (tasks that preferred this loop) continue on
    /// the global executor rather than hang; loop-confined closures have nothing left to act on.
    private static func redirect(_ work: [Work]) {
        for case .job(let job) in work {
            DispatchQueue.global().async { job.runSynchronously(on: globalConcurrentExecutor.asUnownedTaskExecutor()) }
        }
    }

    public func stop() {
        execute { [self] in stopped = true }
    }

    // MARK: Loop-thread API

    /// Readiness interest for `register` and `modify`, without exposing epoll's constants.
    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let read = Interest(rawValue: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        public static let write = Interest(rawValue: EPOLLOUT.rawValue)
    }

    /// Starts watching a file descriptor for other modules (the database layer). Loop thread only.
    public func register(_ selectable: any Selectable, interest: Interest) throws(SystemError) {
        try register(selectable, events: interest.rawValue)
    }

    public func modify(_ selectable: any Selectable, interest: Interest) {
        modify(selectable, events: interest.rawValue)
    }

    func register(_ selectable: any Selectable, events: UInt32) throws(SystemError) {
        let fd = selectable.fd
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        try retryingEINTR("epoll_ctl(ADD)") { epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) }
        if watched.count <= Int(fd) { watched += Array(repeating: nil, count: Int(fd) + 1 - watched.count + 64) }
        watched[Int(fd)] = selectable
    }

    func modify(_ selectable: any Selectable, events: UInt32) {
        var event = epoll_event(events: events, data: epoll_data_t(fd: selectable.fd))
        _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, selectable.fd, &event)
    }

    /// Stops watching the fd. The caller still owns it and closes it afterwards.
    public func deregister(_ selectable: any Selectable) {
        let fd = selectable.fd
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        if Int(fd) < watched.count { watched[Int(fd)] = nil }
    }

    func markForFlush(_ flushable: any Flushable) {
        guard !flushable.isMarkedForFlush else { return }
        flushable.isMarkedForFlush = true
        dirty.append(flushable)
    }

    func scheduleTimeoutCheck(_ target: any TimeoutChecking, at deadline: UInt64) {
        timers.schedule(target, at: deadline)
    }

    // MARK: Running

    func start(started: DispatchSemaphore) {
        let name = "palisade-loop-\(index)"
        let thread = Thread { [self] in
            // Named from inside, through pthread: Foundation's name never reaches the kernel on
            // Linux, and the thread would show its creator's name in ps, top and gdb.
            palisade_set_thread_name(name)
            threadID.store(UInt(pthread_self()), ordering: .relaxed)
            started.signal()
            run()
        }
        // Handlers start on the loop thread, inside protocol callbacks: give them room.
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !stopped {
            let hasWork = !localWork.isEmpty || !dirty.isEmpty || inbox.withLock { !$0.work.isEmpty }
            let timeout = hasWork ? 0 : timers.millisecondsUntilNextTick(now: MonotonicClock.nowMilliseconds())
            let count = epoll_wait(epollFD, &events, Int32(events.count), timeout)
            now = MonotonicClock.nowMilliseconds()
            if count > 0 {
                for i in 0..<Int(count) { dispatch(events[i]) }
            }
            drainInbox()
            flushDirty()
            timers.advance(to: now)
        }
        watched.removeAll()
        let leftover = inbox.withLock { inbox -> [Work] in
            inbox.exited = true
            defer { inbox.work.removeAll() }
            return inbox.work
        }
        threadID.store(0, ordering: .relaxed)
        Self.redirect(localWork + leftover)
        localWork.removeAll()
    }

    private func dispatch(_ event: epoll_event) {
        let fd = event.data.fd
        if fd == wakeFD {
            var value: UInt64 = 0
            _ = Glibc.read(wakeFD, &value, 8)
            return
        }
        guard Int(fd) < watched.count, let selectable = watched[Int(fd)] else { return }
        let readyForRead = EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue | EPOLLRDHUP.rawValue
        if event.events & readyForRead != 0 { selectable.readable() }
        // The read may have closed and deregistered it.
        if event.events & EPOLLOUT.rawValue != 0, Int(fd) < watched.count, watched[Int(fd)] === selectable {
            selectable.writable()
        }
    }

    private func drainInbox() {
        // Work posted by the work itself runs in the same iteration, a few rounds at most, so a
        // task that keeps re-posting cannot starve the sockets.
        for _ in 0..<4 {
            var work = spareWork
            spareWork = []
            swap(&work, &localWork)
            inbox.withLock { inbox in
                inbox.wakePending = false
                if !inbox.work.isEmpty {
                    work += inbox.work
                    inbox.work.removeAll(keepingCapacity: true)
                }
            }
            if work.isEmpty {
                spareWork = work
                return
            }
            for item in work {
                switch item {
                case .task(let task): task()
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
            work.removeAll(keepingCapacity: true)
            spareWork = work
        }
    }

    private func flushDirty() {
        while !dirty.isEmpty {
            let batch = dirty
            dirty.removeAll(keepingCapacity: true)
            for flushable in batch {
                flushable.isMarkedForFlush = false
                flushable.flush()
            }
        }
    }
}

extension EventLoop: TaskExecutor {
    /// Runs Swift tasks that prefer this loop on its own thread, so a request handler starts,
    /// awaits PostgreSQL and resumes on the connection's thread without hops (SE-0417).
    public func enqueue(_ job: consuming ExecutorJob) {
        post(.job(UnownedJob(job)))
    }
}

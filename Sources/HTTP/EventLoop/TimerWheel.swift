/// A coarse hashed timer wheel: 1-second slots, 64 of them, lazily re-armed.
///
/// Objects are inserted once per deadline. When a slot comes due, each object is asked to act
/// on what has expired and to name its next deadline; activity in between never touches the
/// wheel, so a busy connection costs nothing until its slot comes round. Deadlines further away
/// than the wheel's span simply wait for another lap.
struct TimerWheel {
    private static let slotCount = 64
    private static let resolution: UInt64 = 1000

    private struct Entry {
        let deadline: UInt64
        let target: any TimeoutChecking
    }

    private var slots = [[Entry]](repeating: [], count: TimerWheel.slotCount)
    private var currentTick: UInt64

    init(now: UInt64) {
        currentTick = now / Self.resolution
    }

    mutating func schedule(_ target: any TimeoutChecking, at deadline: UInt64) {
        let tick = max(deadline / Self.resolution, currentTick + 1)
        slots[Int(tick % UInt64(Self.slotCount))].append(Entry(deadline: deadline, target: target))
    }

    /// Milliseconds until the next slot is due, for the loop's `epoll_wait` timeout.
    func millisecondsUntilNextTick(now: UInt64) -> Int32 {
        let next = (currentTick + 1) * Self.resolution
        return next > now ? Int32(next - now) : 0
    }

    /// Fires every slot up to `now`.
    mutating func advance(to now: UInt64) {
        let target = now / Self.resolution
        while currentTick < target {
            currentTick += 1
            let index = Int(currentTick % UInt64(Self.slotCount))
            let due = slots[index]
            slots[index] = []
            for entry in due {
                if entry.deadline > now {
                    schedule(entry.target, at: entry.deadline)
                } else if let next = entry.target.checkTimeouts(now: now) {
                    schedule(entry.target, at: next)
                }
            }
        }
    }
}

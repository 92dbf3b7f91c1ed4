import Foundation
import Synchronization

/// The policy streams open on this server, by enforcer. Background work signals them (policy
/// changed, heartbeat due, close); each stream's own task does the work for its node.
final class StreamRegistry: Sendable {
    enum Signal: Sendable {
        /// The revision NOTIFY carried, or nil after a reconnect (when changes may have been missed).
        case policyChanged(Int64?)
        case heartbeat
    }

    private struct Entry {
        let enforcer: UUID
        let continuation: AsyncStream<Signal>.Continuation
    }

    private let entries = Mutex<[Int: Entry]>([:])
    private let nextKey = Atomic<Int>(0)

    /// A stream of signals for one open policy stream, and the key that closes it.
    func open(_ enforcer: UUID) -> (key: Int, signals: AsyncStream<Signal>) {
        // Only the newest pending signal of each kind matters; two are enough.
        let (signals, continuation) = AsyncStream<Signal>.makeStream(bufferingPolicy: .bufferingNewest(2))
        let key = nextKey.wrappingAdd(1, ordering: .relaxed).newValue
        entries.withLock { $0[key] = Entry(enforcer: enforcer, continuation: continuation) }
        return (key, signals)
    }

    func remove(_ key: Int) {
        let entry = entries.withLock { $0.removeValue(forKey: key) }
        entry?.continuation.finish()
    }

    func broadcast(_ signal: Signal) {
        let continuations = entries.withLock { $0.values.map(\.continuation) }
        for continuation in continuations { continuation.yield(signal) }
    }

    /// Ends every stream of one enforcer (revoked).
    func close(_ enforcer: UUID) {
        let closed = entries.withLock { entries in
            let keys = entries.filter { $0.value.enforcer == enforcer }.map(\.key)
            return keys.compactMap { entries.removeValue(forKey: $0)?.continuation }
        }
        for continuation in closed { continuation.finish() }
    }

    func closeAll() {
        let all = entries.withLock { entries in
            defer { entries.removeAll() }
            return entries.values.map(\.continuation)
        }
        for continuation in all { continuation.finish() }
    }

    var connectedIDs: Set<UUID> { entries.withLock { Set($0.values.map(\.enforcer)) } }

    var count: Int { entries.withLock { $0.count } }
}

import Foundation
import HTTP
import Logging
import Storage
import Synchronization

/// New events as they commit, for every `GET /v1/events/stream` on this server: one LISTEN on
/// `events_added` (a statement trigger announces every insert, see Migrations/0002), one read per
/// wake-up, fanned out to the subscribed streams. Reads also run every `pollInterval` (a lost
/// NOTIFY or a gap still awaited costs at most that long) and right after the listener reconnects.
///
/// Lifecycle: `start` → `subscribe` per stream → `stop` (every subscription ends).
public final class EventFeed: Sendable {
    enum Update: Sendable {
        case events([EventRoutes.Event])
        /// Sent every `heartbeatInterval` so streams can prove they are alive (and re-check the caller).
        case heartbeat
    }

    /// One stream's view of the feed; cancel it when the stream ends.
    struct Subscription: Sendable {
        let updates: AsyncStream<Update>
        let cancel: @Sendable () -> Void
    }

    private struct State {
        var cursor: FeedCursor
        var subscribers: [Int: AsyncStream<Update>.Continuation] = [:]
        var nextSubscriber = 0
        var stopped = false
    }

    public static let maximumSubscribers = 1_000
    static let batchLimit = 1_000
    private let state: Mutex<State>
    private let pool: PostgresPool
    private let listener: PostgresListener
    private let logger: Logger
    private let wake: AsyncStream<Void>.Continuation
    private let tasks: Mutex<[Task<Void, Never>]> = Mutex([])

    private init(pool: PostgresPool, listener: PostgresListener, watermark: Int64, logger: Logger) {
        self.pool = pool
        self.listener = listener
        self.logger = logger
        self.state = Mutex(State(cursor: FeedCursor(watermark: watermark)))
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        let reader = Task { [self] in
            for await _ in wakes { await readNewEvents() }
        }
        tasks.withLock { $0.append(reader) }
    }

    public static func start(
        pool: PostgresPool, connectionInfo: String, loop: EventLoop, logger: Logger,
        pollInterval: Duration = .seconds(2), heartbeatInterval: Duration = .seconds(15)
    ) async throws -> EventFeed {
        let watermark = try await pool.query("SELECT coalesce(max(id), 0)::bigint AS id FROM events")
            .first!.decode(Int64.self, "id")
        let listener = PostgresListener(connectionInfo: connectionInfo, loop: loop, logger: logger)
        let feed = EventFeed(pool: pool, listener: listener, watermark: watermark, logger: logger)
        let added = listener.notifications(channel: "events_added")
        let wake = feed.wake
        listener.onReconnect = { wake.yield() }
        let notified = Task { for await _ in added { wake.yield() } }
        let ticker = Task { [feed] in
            var sinceHeartbeat = Duration.zero
            while !Task.isCancelled {
                try? await Task.sleep(for: pollInterval)
                wake.yield()
                sinceHeartbeat += pollInterval
                if sinceHeartbeat >= heartbeatInterval {
                    sinceHeartbeat = .zero
                    feed.broadcast(.heartbeat)
                }
            }
        }
        feed.tasks.withLock { $0 += [notified, ticker] }
        return feed
    }

    /// A new subscription, or nil when the server already serves `maximumSubscribers` streams.
    func subscribe() -> Subscription? {
        let (updates, continuation) = AsyncStream<Update>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id: Int? = state.withLock { state in
            guard !state.stopped, state.subscribers.count < Self.maximumSubscribers else { return nil }
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        guard let id else { return nil }
        return Subscription(updates: updates) { [self] in
            state.withLock { $0.subscribers.removeValue(forKey: id) }?.finish()
        }
    }

    public func stop() {
        let subscribers = state.withLock { state in
            state.stopped = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
        wake.finish()
        for task in tasks.withLock({ $0 }) { task.cancel() }
        listener.stop()
    }

    private func broadcast(_ update: Update) {
        let subscribers = state.withLock { $0.subscribers }
        for (id, subscriber) in subscribers {
            // A stream too slow to keep 64 batches queued is ended rather than silently skipped:
            // its client reconnects with Last-Event-ID and catches up from the table.
            if case .dropped = subscriber.yield(update) {
                state.withLock { $0.subscribers.removeValue(forKey: id) }?.finish()
            }
        }
    }

    /// Reads every committed event above the watermark and hands the new ones to subscribers.
    private func readNewEvents() async {
        while !Task.isCancelled {
            let watermark = state.withLock { $0.cursor.watermark }
            let events: [EventRoutes.Event]
            do {
                events = try await pool.query(
                    EventRoutes.selectEvents(
                        where: "id > $1 ORDER BY id LIMIT \(Self.batchLimit)", binds: [watermark])
                ).map(EventRoutes.Event.init)
            } catch {
                logger.warning("event feed read failed", ["error": "\(error)"])
                return
            }
            let fresh = state.withLock { $0.cursor.accept(events.map(\.id), now: .now) }
            let new = events.filter { fresh.contains($0.id) }
            if !new.isEmpty { broadcast(.events(new)) }
            // A full batch means more are waiting: read on rather than wait for the next wake.
            guard events.count == Self.batchLimit, !new.isEmpty else { return }
        }
    }
}

import HTTP
import Logging

/// LISTEN on a dedicated connection, for the scale-out path: a policy change commits, NOTIFYs,
/// and every replica's listener hears it. When the connection breaks the listener reconnects
/// (1 s, then doubling to 30 s) and listens again; NOTIFYs sent while it was away are lost, so
/// consumers re-read current state after `onReconnect`.
///
/// Threading: its state lives on `loop`; `notifications` may be called from anywhere.
public final class PostgresListener: @unchecked Sendable {
    // Safety (@unchecked Sendable): mutable state is touched only on `loop`.
    private let connectionInfo: String
    private let loop: EventLoop
    private let logger: Logger
    private var channels: [String: [AsyncStream<String>.Continuation]] = [:]
    private var connection: PostgresConnection?
    /// Channels the current connection already LISTENs to.
    private var listening: Set<String> = []
    private var stopped = false
    private var backoff: Duration = .seconds(1)
    /// Called on the loop after every successful (re)connection, once channels are listened to.
    public var onReconnect: (@Sendable () -> Void)?

    public init(connectionInfo: String, loop: EventLoop, logger: Logger) {
        self.connectionInfo = connectionInfo
        self.loop = loop
        self.logger = logger
        loop.execute { [self] in connect() }
    }

    /// Payloads NOTIFYed on `channel` from now on. Channel names are identifiers we choose
    /// (`policy_changed`), validated here, never outside input.
    public func notifications(channel: String) -> AsyncStream<String> {
        precondition(
            !channel.isEmpty
                && channel.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) },
            "channel names are lowercase identifiers")
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        loop.executeOrRun { [self] in
            channels[channel, default: []].append(continuation)
            listenToNewChannels()
        }
        return stream
    }

    public func stop() {
        loop.executeOrRun { [self] in
            stopped = true
            connection?.close()
            for continuations in channels.values { for continuation in continuations { continuation.finish() } }
            channels.removeAll()
        }
    }

    private func connect() {
        guard !stopped else { return }
        PostgresConnection.start(connectionInfo, on: loop) { [self] result in
            switch result {
            case .success(let connection):
                backoff = .seconds(1)
                self.connection = connection
                listening = []
                connection.onNotification = { [self] channel, payload in deliver(channel, payload) }
                connection.onBroken = { [self] in
                    self.connection = nil
                    logger.warning("notification connection lost; reconnecting")
                    retry()
                }
                listenToNewChannels()
                onReconnect?()
            case .failure(let error):
                logger.warning("notification connection failed", ["db.error": error.description])
                retry()
            }
        }
    }

    private func retry() {
        guard !stopped else { return }
        let delay = backoff
        backoff = min(backoff * 2, .seconds(30))
        let loop = self.loop
        Task {
            try? await Task.sleep(for: delay)
            loop.execute { [self] in connect() }
        }
    }

    /// Sends one LISTEN batch for the channels the connection does not listen to yet; runs
    /// again when it completes, in case channels were added meanwhile.
    private func listenToNewChannels() {
        guard let connection, connection.isIdle else { return }
        let missing = channels.keys.filter { !listening.contains($0) }.sorted()
        guard !missing.isEmpty else { return }
        let sql = missing.map { "LISTEN \($0)" }.joined(separator: "; ")
        connection.execute(PostgresQuery(unsafeSQL: sql), simple: true) { [self] result in
            switch result {
            case .success:
                listening.formUnion(missing)
                listenToNewChannels()
            case .failure(let error):
                logger.warning("LISTEN failed", ["db.error": error.description])
            }
        }
    }

    private func deliver(_ channel: String, _ payload: String) {
        for continuation in channels[channel] ?? [] { continuation.yield(payload) }
    }
}

import Domain
import Foundation
import HTTP
import Synchronization

/// Counters shared by every node of this process, for the progress line.
final class Progress: Sendable {
    let connected = Atomic<Int>(0)
    let revision = Atomic<Int64>(0)
    let sent = Atomic<Int>(0)
    let acknowledged = Atomic<Int>(0)

    func line(nodes: Int) -> String {
        "palisade-enforcer: \(connected.load(ordering: .relaxed))/\(nodes) nodes connected, revision "
            + "\(revision.load(ordering: .relaxed)), reports sent \(sent.load(ordering: .relaxed)), "
            + "acknowledged \(acknowledged.load(ordering: .relaxed))"
    }
}

/// One node: uploads its inventory, keeps the policy stream open (reconnecting with `after=`
/// and backoff), acks every revision it takes, and sends its reports in numbered batches that
/// are retried with the same number until Palisade acknowledges them.
final class NodeAgent: @unchecked Sendable {
    // Safety (@unchecked Sendable): mutable state sits behind `state`; the threads share nothing else.
    private struct State {
        var client: ChannelClient
        var identity: NodeIdentity
        var ruleSet: RuleSet?
        var revision: Int64 = 0
        var pending: [JSONValue] = []
        var sequence: Int64
    }

    let hostname: String
    private let inventory: JSONValue
    private let progress: Progress
    private let state: Mutex<State>
    private let stopping = Atomic<Bool>(false)
    /// One flush at a time: the report thread and the final flush at exit must not send (and
    /// then remove) the same batch twice.
    private let flushing = Mutex<Void>(())
    /// Reports a tick produces (simulation); nil for a real node fed by `enqueue`.
    private let tick: (@Sendable (RuleSet?) -> [JSONValue])?

    init(
        hostname: String, identity: NodeIdentity, inventory: JSONValue, progress: Progress,
        tick: (@Sendable (RuleSet?) -> [JSONValue])?
    ) throws {
        self.hostname = hostname
        self.inventory = inventory
        self.progress = progress
        self.tick = tick
        let client = try ChannelClient(
            server: Self.server, caPath: identity.caPath, identity: (identity.certificatePath, identity.keyPath))
        // Sequence numbers only grow, across restarts too: start from the clock.
        state = Mutex(State(client: client, identity: identity, sequence: Int64(Date().timeIntervalSince1970 * 1000)))
    }

    nonisolated(unsafe) static var server: (host: String, port: UInt16) = ("127.0.0.1", 18400)

    func start(interval: TimeInterval) {
        Thread.detachNewThread { [self] in streamLoop() }
        Thread.detachNewThread { [self] in reportLoop(interval: interval) }
    }

    func stop() { stopping.store(true, ordering: .relaxed) }

    func enqueue(_ reports: [JSONValue]) { state.withLock { $0.pending += reports } }

    private var client: ChannelClient { state.withLock { $0.client } }

    private func streamLoop() {
        var backoff = 1.0
        while !stopping.load(ordering: .relaxed) {
            var connected = false
            do {
                try client.call("PUT", "/v1/enforcer/inventory", body: inventory)
                let after = state.withLock { $0.revision }
                let failure = try client.client.stream("/v1/enforcer/policy?after=\(after)") { line in
                    if !connected {
                        connected = true
                        progress.connected.add(1, ordering: .relaxed)
                    }
                    backoff = 1
                    try handle(line)
                    return !stopping.load(ordering: .relaxed)
                }
                if let failure { throw Failure.failed("policy stream refused: \(failure.status)") }
            } catch {
                FileHandle.standardError.write(Data("palisade-enforcer: \(hostname): \(error)\n".utf8))
            }
            if connected { progress.connected.subtract(1, ordering: .relaxed) }
            guard !stopping.load(ordering: .relaxed) else { return }
            Thread.sleep(forTimeInterval: backoff)
            backoff = min(backoff * 2, 30)
        }
    }

    private struct Line: Decodable {
        let type: String
        let revision: Int64
        let ruleset: RuleSet?
    }

    private func handle(_ text: String) throws {
        let line = try JSONCoding.decode(Line.self, from: Array(text.utf8))
        guard line.type == "ruleset" || line.type == "current" else { return }
        state.withLock { state in
            if let ruleSet = line.ruleset { state.ruleSet = ruleSet }
            state.revision = line.revision
        }
        // A real enforcer programs its datapath here; the simulation keeps the rules in memory.
        try client.call("POST", "/v1/enforcer/ack", body: ["revision": .integer(line.revision), "status": "applied"])
        progress.revision.store(max(progress.revision.load(ordering: .relaxed), line.revision), ordering: .relaxed)
    }

    private func reportLoop(interval: TimeInterval) {
        var backoff = interval
        while !stopping.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: backoff)
            if let tick {
                let ruleSet = state.withLock { $0.ruleSet }
                enqueue(tick(ruleSet))
            }
            backoff = (try? flush()) == false ? min(backoff * 2, 30) : interval
            renewIfDue()
        }
    }

    /// Sends what is pending as one batch; on failure keeps it (same sequence) for the retry.
    @discardableResult
    func flush() throws -> Bool {
        try flushing.withLock { _ in try flushPending() }
    }

    private func flushPending() throws -> Bool {
        let (batch, sequence) = state.withLock { ($0.pending.prefix(5_000), $0.sequence) }
        guard !batch.isEmpty else { return true }
        progress.sent.add(batch.count, ordering: .relaxed)
        do {
            try client.call(
                "POST", "/v1/enforcer/reports", body: ["sequence": .integer(sequence), "reports": .array(Array(batch))])
        } catch {
            progress.sent.subtract(batch.count, ordering: .relaxed)
            return false
        }
        state.withLock { state in
            state.pending.removeFirst(batch.count)
            state.sequence += 1
        }
        progress.acknowledged.add(batch.count, ordering: .relaxed)
        return true
    }

    private func renewIfDue() {
        let (due, identity, client) = state.withLock { ($0.identity.renewAfter < Date(), $0.identity, $0.client) }
        guard due else { return }
        var renewed = identity
        guard let fresh = try? renewed.renew(client: client, hostname: hostname) else { return }
        state.withLock { state in
            state.identity = renewed
            state.client = fresh
        }
    }
}

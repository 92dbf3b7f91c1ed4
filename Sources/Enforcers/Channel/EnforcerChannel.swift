import Foundation
import HTTP
import Logging
import PKI
import Storage

/// The enforcer channel, wired: enrollment, identity, inventory, policy streams, acks and
/// reports on the mutual-TLS listener, plus the background work that keeps streams current
/// (LISTEN for policy changes and revocations, heartbeats).
///
/// Lifecycle: `start` → `register(on:)` for the listener's router → `stop`.
public final class EnforcerChannel: Sendable {
    let pool: PostgresPool
    let logger: Logger
    let authority: CertificateAuthority
    let caPEM: String
    let settings: EnforcerSettings
    public let revocations: RevocationList
    let streams: StreamRegistry
    let snapshots: SnapshotCache
    private let listener: PostgresListener
    private let tasks: [Task<Void, Never>]

    private init(
        pool: PostgresPool, logger: Logger, authority: CertificateAuthority, caPEM: String, settings: EnforcerSettings,
        revocations: RevocationList, listener: PostgresListener, streams: StreamRegistry, tasks: [Task<Void, Never>]
    ) {
        self.pool = pool
        self.logger = logger
        self.authority = authority
        self.caPEM = caPEM
        self.settings = settings
        self.revocations = revocations
        self.listener = listener
        self.streams = streams
        self.snapshots = SnapshotCache(pool: pool)
        self.tasks = tasks
    }

    public static func start(
        pool: PostgresPool, connectionInfo: String, loop: EventLoop, authority: CertificateAuthority,
        settings: EnforcerSettings = EnforcerSettings(), logger: Logger
    ) async throws -> EnforcerChannel {
        let revocations = RevocationList()
        try await revocations.reload(from: pool)
        let listener = PostgresListener(connectionInfo: connectionInfo, loop: loop, logger: logger)
        let streams = StreamRegistry()
        let policyChanges = listener.notifications(channel: PolicyRevision.channel)
        let revoked = listener.notifications(channel: "enforcer_revoked")
        let retired = listener.notifications(channel: "certificate_retired")
        listener.onReconnect = { streams.broadcast(.policyChanged(nil)) }
        var tasks: [Task<Void, Never>] = []
        tasks.append(
            Task { for await revision in policyChanges { streams.broadcast(.policyChanged(Int64(revision))) } })
        tasks.append(
            Task {
                for await id in revoked {
                    try? await revocations.reload(from: pool)
                    if let id = UUID(uuidString: id) { streams.close(id) }
                }
            })
        tasks.append(Task { for await serial in retired { revocations.insert(serial) } })
        let interval = settings.heartbeatInterval
        tasks.append(
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    streams.broadcast(.heartbeat)
                    // Streaming enforcers are seen even when they send nothing else.
                    let connected = streams.connectedIDs.map { $0.uuidString.lowercased() }
                    if !connected.isEmpty, let ids = try? SQLJSON.text(connected) {
                        _ = try? await pool.query(
                            """
                            UPDATE enforcers SET last_seen_at = now()
                            WHERE id IN (SELECT jsonb_array_elements_text(\(ids)::jsonb)::uuid)
                            """)
                    }
                    // NOTIFYs can be lost while the listener reconnects: re-read now and then.
                    try? await revocations.reload(from: pool)
                }
            })
        return EnforcerChannel(
            pool: pool, logger: logger, authority: authority, caPEM: try authority.certificatePEM, settings: settings,
            revocations: revocations, listener: listener, streams: streams, tasks: tasks)
    }

    /// Every route of the channel, on the enforcer listener's own router.
    public func register(on router: inout Router) {
        EnrollmentRoutes.register(on: &router, channel: self)
        InventoryRoute.register(on: &router, channel: self)
        PolicyStreamRoute.register(on: &router, channel: self)
        ReportRoute.register(on: &router, channel: self)
    }

    /// Ends every policy stream (their responses complete) and the background work.
    public func stop() {
        streams.closeAll()
        for task in tasks { task.cancel() }
        listener.stop()
    }

    /// Resolves the caller and runs `body`; the caller's problems become problem+json.
    func authenticated(_ request: Request, _ body: (EnforcerIdentity) async throws -> Response) async throws
        -> Response
    {
        try await body(try await EnforcerIdentity.resolve(request, pool: pool))
    }

    /// Records a write in the same audit log the REST API uses.
    static func audit(
        _ connection: PostgresConnection, actor: String, source: String, path: String, resource: String?,
        status: Int
    ) async throws {
        let outcome = status < 400 ? "success" : (status == 401 || status == 403 ? "denied" : "failure")
        _ = try await connection.query(
            """
            INSERT INTO audit_log (actor, actor_role, source, method, path, resource, outcome, status)
            VALUES (\(actor), 'enforcer', \(source), 'POST', \(path), \(resource), \(outcome), \(status))
            """)
    }
}

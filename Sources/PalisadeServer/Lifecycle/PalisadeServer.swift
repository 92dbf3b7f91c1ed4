import API
import Enforcers
import Foundation
import HTTP
import Logging
import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// The whole server, wired: data directory, TLS material, routes and listeners.
///
/// Lifecycle: `start` → running → `stop` (graceful, bounded by the configured grace period).
/// A library so tests start the complete server in-process on port 0.
public final class PalisadeServer: Sendable {
    public let configuration: ServerConfiguration
    public let addresses: Addresses
    public let tls: TLSMaterial.Paths
    public let database: Database
    private let retention: EventRetention
    /// What the first start created, if this was it (the executable prints a generated password).
    public let bootstrap: AdminBootstrap.Created?
    /// Every `(method, pattern)` of the API this server routes, so tests can hold the OpenAPI
    /// document to it (the console's static files are not API operations).
    public let routes: [Route]
    private let group: EventLoopGroup
    private let http: HTTPServer
    private let enforcerHTTP: HTTPServer?
    private let channel: EnforcerChannel?
    private let feed: EventFeed
    private let logger: Logger
    private let lockFD: Int32

    public struct Route: Sendable, Hashable {
        public let method: String
        public let pattern: String

        public init(method: String, pattern: String) {
            self.method = method
            self.pattern = pattern
        }
    }

    public struct Addresses: Sendable {
        public let api: SocketAddress
        public let plain: SocketAddress?
        public let enforcer: SocketAddress?
    }

    private init(
        configuration: ServerConfiguration, addresses: Addresses, tls: TLSMaterial.Paths, database: Database,
        group: EventLoopGroup, http: HTTPServer, enforcerHTTP: HTTPServer?, channel: EnforcerChannel?, feed: EventFeed,
        logger: Logger, lockFD: Int32, bootstrap: AdminBootstrap.Created?, routes: [Route]
    ) {
        self.feed = feed
        self.routes = routes
        self.enforcerHTTP = enforcerHTTP
        self.channel = channel
        self.configuration = configuration
        self.addresses = addresses
        self.tls = tls
        self.database = database
        self.retention = EventRetention(
            pool: database.pool, retentionDays: configuration.eventRetentionDays, logger: logger)
        self.group = group
        self.http = http
        self.logger = logger
        self.lockFD = lockFD
        self.bootstrap = bootstrap
    }

    public static func start(_ configuration: ServerConfiguration, logger: Logger) async throws -> PalisadeServer {
        // Everything started so far, undone in reverse if a later step fails.
        var undo: [() async -> Void] = []
        do {
            let dataDirectory = try DataDirectory.prepare(configuration.dataDirectory)
            let lockFD = try dataDirectory.lock()
            undo.append { close(lockFD) }
            let tls = try TLSMaterial.resolve(configuration, dataDirectory: dataDirectory, logger: logger)
            let context = try TLSContext(certificateChainPath: tls.certificate, privateKeyPath: tls.key)
            let group = try EventLoopGroup(count: configuration.eventLoops)
            undo.append { group.stop() }
            let database = try await Database.open(
                configuration, dataDirectory: dataDirectory, group: group, logger: logger)
            undo.append { await database.close() }
            let bootstrap = try await AdminBootstrap.runIfNeeded(
                pool: database.pool, dataDirectory: dataDirectory, environment: ProcessInfo.processInfo.environment,
                logger: logger)

            let feed = try await EventFeed.start(
                pool: database.pool, connectionInfo: database.connectionInfo, loop: group.loops[0], logger: logger)
            undo.append { feed.stop() }

            var router = Router()
            HealthRoutes.register(on: &router)
            ReadinessRoutes.register(on: &router, database: database)
            APIRoutes.register(on: &router, pool: database.pool, logger: logger, feed: feed)
            let apiRoutes = router.patterns.map { Route(method: $0.method, pattern: $0.pattern) }
            ConsoleRoutes.register(on: &router, assets: Console.load(configuration, logger: logger))

            var listeners = [ListenerConfiguration(name: "api", address: configuration.listen, tls: context)]
            if let plain = configuration.httpListen {
                listeners.append(ListenerConfiguration(name: "plain", address: plain, tls: nil))
                logger.warning(
                    "cleartext listener enabled: use it only for local tools and benchmarks", ["address": "\(plain)"])
            }
            let http = HTTPServer(group: group, router: router, listeners: listeners, logger: logger)
            let bound = try await http.start()
            undo.append { await http.shutdown(gracePeriod: .zero) }

            var channel: EnforcerChannel?
            var enforcerHTTP: HTTPServer?
            var enforcerAddress: SocketAddress?
            if let address = configuration.enforcerListen {
                let started = try await EnforcerChannel.start(
                    pool: database.pool, connectionInfo: database.connectionInfo, loop: group.loops[0],
                    authority: tls.authority, logger: logger)
                channel = started
                undo.append { started.stop() }
                let context = try TLSContext(
                    certificateChainPath: tls.certificate, privateKeyPath: tls.key, minimumVersion: .tls13,
                    clientAuthentication: .verifiedIfPresented(
                        trustedCAPath: tls.caCertificate, isRevoked: { started.revocations.contains($0) }))
                var enforcerRouter = Router()
                HealthRoutes.register(on: &enforcerRouter)
                started.register(on: &enforcerRouter)
                let server = HTTPServer(
                    group: group, router: enforcerRouter,
                    listeners: [ListenerConfiguration(name: "enforcer", address: address, tls: context)], logger: logger
                )
                enforcerAddress = try await server.start()[0]
                enforcerHTTP = server
            }
            let addresses = Addresses(api: bound[0], plain: bound.count > 1 ? bound[1] : nil, enforcer: enforcerAddress)
            return PalisadeServer(
                configuration: configuration, addresses: addresses, tls: tls, database: database, group: group,
                http: http, enforcerHTTP: enforcerHTTP, channel: channel, feed: feed, logger: logger, lockFD: lockFD,
                bootstrap: bootstrap, routes: apiRoutes)
        } catch {
            for step in undo.reversed() { await step() }
            throw error
        }
    }

    /// Graceful stop: no new connections, in-flight requests finish within the grace period.
    public func stop() async {
        // Policy and event streams never end by themselves: close them first so the drain can finish.
        channel?.stop()
        feed.stop()
        async let enforcerStopped: Void? = enforcerHTTP?.shutdown(
            gracePeriod: .seconds(configuration.shutdownGraceSeconds))
        await http.shutdown(gracePeriod: .seconds(configuration.shutdownGraceSeconds))
        _ = await enforcerStopped
        retention.stop()
        await database.close()
        group.stop()
        close(lockFD)
        logger.notice("stopped")
    }
}

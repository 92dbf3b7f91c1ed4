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
    private let group: EventLoopGroup
    private let http: HTTPServer
    private let logger: Logger
    private let lockFD: Int32

    public struct Addresses: Sendable {
        public let api: SocketAddress
        public let plain: SocketAddress?
    }

    private init(
        configuration: ServerConfiguration, addresses: Addresses, tls: TLSMaterial.Paths, database: Database,
        group: EventLoopGroup, http: HTTPServer, logger: Logger, lockFD: Int32
    ) {
        self.database = database
        self.lockFD = lockFD
        self.configuration = configuration
        self.addresses = addresses
        self.tls = tls
        self.group = group
        self.http = http
        self.logger = logger
    }

    public static func start(_ configuration: ServerConfiguration, logger: Logger) async throws -> PalisadeServer {
        let dataDirectory = try DataDirectory.prepare(configuration.dataDirectory)
        let lockFD = try dataDirectory.lock()
        let tls: TLSMaterial.Paths
        let context: TLSContext
        let group: EventLoopGroup
        let database: Database
        do {
            tls = try TLSMaterial.resolve(configuration, dataDirectory: dataDirectory, logger: logger)
            context = try TLSContext(certificateChainPath: tls.certificate, privateKeyPath: tls.key)
            group = try EventLoopGroup(count: configuration.eventLoops)
            do {
                database = try await Database.open(
                    configuration, dataDirectory: dataDirectory, group: group, logger: logger)
            } catch {
                group.stop()
                throw error
            }
        } catch {
            close(lockFD)
            throw error
        }

        var router = Router()
        HealthRoutes.register(on: &router)
        ReadinessRoutes.register(on: &router, database: database)

        var listeners = [ListenerConfiguration(name: "api", address: configuration.listen, tls: context)]
        if let plain = configuration.httpListen {
            listeners.append(ListenerConfiguration(name: "plain", address: plain, tls: nil))
            logger.warning(
                "cleartext listener enabled: use it only for local tools and benchmarks", ["address": "\(plain)"])
        }
        let http = HTTPServer(group: group, router: router, listeners: listeners, logger: logger)
        let bound: [SocketAddress]
        do {
            bound = try await http.start()
        } catch {
            await database.close()
            group.stop()
            close(lockFD)
            throw error
        }
        let addresses = Addresses(api: bound[0], plain: bound.count > 1 ? bound[1] : nil)
        return PalisadeServer(
            configuration: configuration, addresses: addresses, tls: tls, database: database, group: group, http: http,
            logger: logger, lockFD: lockFD)
    }

    /// Graceful stop: no new connections, in-flight requests finish within the grace period.
    public func stop() async {
        await http.shutdown(gracePeriod: .seconds(configuration.shutdownGraceSeconds))
        await database.close()
        group.stop()
        close(lockFD)
        logger.notice("stopped")
    }
}

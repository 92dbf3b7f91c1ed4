import Foundation
import HTTP
import Logging

/// The whole server, wired: data directory, TLS material, routes and listeners.
///
/// Lifecycle: `start` → running → `stop` (graceful, bounded by the configured grace period).
/// A library so tests start the complete server in-process on port 0.
public final class PalisadeServer: Sendable {
    public let configuration: ServerConfiguration
    public let addresses: Addresses
    public let tls: TLSMaterial.Paths
    private let group: EventLoopGroup
    private let http: HTTPServer
    private let logger: Logger

    public struct Addresses: Sendable {
        public let api: SocketAddress
        public let plain: SocketAddress?
    }

    private init(
        configuration: ServerConfiguration, addresses: Addresses, tls: TLSMaterial.Paths, group: EventLoopGroup,
        http: HTTPServer, logger: Logger
    ) {
        self.configuration = configuration
        self.addresses = addresses
        self.tls = tls
        self.group = group
        self.http = http
        self.logger = logger
    }

    public static func start(_ configuration: ServerConfiguration, logger: Logger) async throws -> PalisadeServer {
        let dataDirectory = try DataDirectory.prepare(configuration.dataDirectory)
        let tls = try TLSMaterial.resolve(configuration, dataDirectory: dataDirectory, logger: logger)
        let context = try TLSContext(certificateChainPath: tls.certificate, privateKeyPath: tls.key)

        var router = Router()
        HealthRoutes.register(on: &router)

        var listeners = [ListenerConfiguration(name: "api", address: configuration.listen, tls: context)]
        if let plain = configuration.httpListen {
            listeners.append(ListenerConfiguration(name: "plain", address: plain, tls: nil))
            logger.warning(
                "cleartext listener enabled: use it only for local tools and benchmarks", ["address": "\(plain)"])
        }
        let group = try EventLoopGroup(count: configuration.eventLoops)
        let http = HTTPServer(group: group, router: router, listeners: listeners, logger: logger)
        let bound: [SocketAddress]
        do {
            bound = try await http.start()
        } catch {
            group.stop()
            throw error
        }
        let addresses = Addresses(api: bound[0], plain: bound.count > 1 ? bound[1] : nil)
        return PalisadeServer(
            configuration: configuration, addresses: addresses, tls: tls, group: group, http: http, logger: logger)
    }

    /// Graceful stop: no new connections, in-flight requests finish within the grace period.
    public func stop() async {
        await http.shutdown(gracePeriod: .seconds(configuration.shutdownGraceSeconds))
        group.stop()
        logger.notice("stopped")
    }
}

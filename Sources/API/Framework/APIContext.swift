import Foundation
import HTTP
import Logging
import Storage

/// Timeouts and limits of the API, with the defaults a security team expects.
public struct APISettings: Sendable {
    /// A session unused this long expires.
    public var sessionIdleTimeout: TimeInterval = 30 * 60
    /// A session expires this long after sign-in, however active.
    public var sessionAbsoluteTimeout: TimeInterval = 12 * 3600
    /// Failed sign-ins allowed per user name, and per source address, within `loginWindow`.
    public var loginFailuresPerUser = 5
    public var loginFailuresPerAddress = 20
    public var loginWindow: TimeInterval = 15 * 60

    public init() {}
}

/// What every handler shares: the database, the log, the settings and the sign-in throttle.
public final class APIContext: Sendable {
    let pool: PostgresPool
    let logger: Logger
    let settings: APISettings
    let throttle: LoginThrottle
    let validator: SchemaValidator
    /// New events for `/v1/events/stream`; nil where no feed runs (the stream answers 503).
    let feed: EventFeed?

    init(pool: PostgresPool, logger: Logger, settings: APISettings, feed: EventFeed?) {
        self.pool = pool
        self.feed = feed
        self.logger = logger
        self.settings = settings
        self.throttle = LoginThrottle(
            perUser: settings.loginFailuresPerUser, perAddress: settings.loginFailuresPerAddress,
            window: settings.loginWindow)
        self.validator = SchemaValidator(components: Components.all)
    }
}

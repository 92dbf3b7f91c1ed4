import HTTP
import Logging
import Storage

/// The REST API v1: every endpoint, registered on the router with authentication, role checks,
/// validation and audit (see `APIRouter`), and described in `/v1/openapi.json`.
public enum APIRoutes {
    /// Registers every endpoint and returns them (the OpenAPI document is built from the list).
    @discardableResult
    public static func register(
        on router: inout Router, pool: PostgresPool, logger: Logger, settings: APISettings = APISettings(),
        feed: EventFeed? = nil
    ) -> Int {
        let context = APIContext(pool: pool, logger: logger, settings: settings, feed: feed)
        var endpoints = all(context)
        let document = OpenAPIDocument.build(endpoints)
        endpoints.append(OpenAPIDocument.endpoint(serving: document))
        APIRouter.register(endpoints, on: &router, context: context)
        return endpoints.count
    }

    static func all(_ context: APIContext) -> [Endpoint] {
        [
            AuthRoutes.endpoints, UserRoutes.endpoints, APIKeyRoutes.endpoints, GroupRoutes.endpoints,
            RuleRoutes.endpoints, ProcessProfileRoutes.endpoints, ResponseRuleRoutes.endpoints,
            PolicyRoutes.endpoints, InventoryRoutes.endpoints, EnforcerRoutes.endpoints, EventRoutes.endpoints,
            EventStreamRoute.endpoints,
            TopologyRoutes.endpoints, DashboardRoutes.endpoints,
        ].flatMap { $0(context) }
    }
}

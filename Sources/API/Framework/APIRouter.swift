import Domain
import HTTP
import Logging

/// Puts endpoints on the router, each wrapped in the same steps, in one place:
/// authenticate → authorise by role → check the query → replay an idempotent POST → run the
/// handler → map errors to problem+json → audit every write.
enum APIRouter {
    static func register(_ endpoints: [Endpoint], on router: inout Router, context: APIContext) {
        for endpoint in endpoints {
            router.add(endpoint.method, endpoint.path, bodyLimit: endpoint.bodyLimit) { request in
                await handle(request, endpoint: endpoint, context: context)
            }
        }
    }

    private static func handle(_ request: Request, endpoint: Endpoint, context: APIContext) async -> Response {
        var principal = Principal.anonymous
        var response: Response
        do {
            if case .role(let required) = endpoint.access {
                principal = try await authenticate(request, context: context)
                try authorize(principal, required: required)
            }
            try checkQuery(request, endpoint: endpoint, context: context)
            if let condition = request.headers["if-match"], condition.utf8.count > ETag.maximumHeaderLength {
                throw HTTPError.invalidField("If-Match", "must be at most \(ETag.maximumHeaderLength) characters")
            }
            let apiRequest = APIRequest(http: request, principal: principal, endpoint: endpoint, context: context)
            if let claim = try Idempotency.claim(for: apiRequest) {
                if let replayed = try await Idempotency.replay(claim, context: context) {
                    response = replayed
                } else {
                    response = try await endpoint.handler(apiRequest)
                    await Idempotency.store(claim, response: response, context: context)
                }
            } else {
                response = try await endpoint.handler(apiRequest)
            }
        } catch {
            response = problem(for: APIErrors.map(error), request: request, context: context)
        }
        if endpoint.isWrite && endpoint.path != "/v1/auth/login" {
            await AuditTrail.record(
                AuditTrail.Entry(
                    actor: principal.actor, role: principal.role?.rawValue, source: request.sourceAddress,
                    method: request.method,
                    path: request.path, resource: response.headers["location"] ?? request.path,
                    status: response.status, code: response.status >= 400 ? problemCode(response) : nil),
                context: context)
        }
        return response
    }

    private static func authenticate(_ request: Request, context: APIContext) async throws -> Principal {
        guard let principal = try await Authenticator.authenticate(request, context: context) else {
            throw HTTPError.unauthenticated()
        }
        return principal
    }

    private static func authorize(_ principal: Principal, required: Role) throws(HTTPError) {
        guard let role = principal.role, role.satisfies(required) else {
            throw .forbidden(
                "This needs the '\(required.rawValue)' role; you have '\(principal.role?.rawValue ?? "none")'.")
        }
    }

    /// Unknown query parameters are refused, and declared ones must fit their schema, so a typo
    /// in a filter never silently returns everything.
    private static func checkQuery(_ request: Request, endpoint: Endpoint, context: APIContext) throws(HTTPError) {
        for item in request.query.items {
            guard let parameter = endpoint.query.first(where: { $0.name == item.name }) else {
                throw .invalidField(item.name, "is not a query parameter of this operation")
            }
            let value: JSONValue
            switch parameter.schema {
            case .integer:
                guard let number = Int64(item.value) else { throw .invalidField(item.name, "must be an integer") }
                value = .integer(number)
            case .boolean:
                guard item.value == "true" || item.value == "false" else {
                    throw .invalidField(item.name, "must be true or false")
                }
                value = .bool(item.value == "true")
            default:
                value = .string(item.value)
            }
            try context.validator.validate(value, against: parameter.schema, at: item.name)
        }
    }

    private static func problem(for error: any Error, request: Request, context: APIContext) -> Response {
        var response = Response.problem(for: error, request: request, logger: context.logger)
        if response.status == 401 { response.headers.replaceOrAdd(name: "www-authenticate", value: "Bearer") }
        if let limited = error as? RateLimited {
            response.headers.replaceOrAdd(name: "retry-after", value: String(limited.retryAfterSeconds))
        }
        return response
    }

    private static func problemCode(_ response: Response) -> String? {
        guard case .bytes(let body) = response.body,
            let value = try? JSONCoding.decode(JSONValue.self, from: body), case .object(let fields) = value,
            case .string(let code) = fields["code"]
        else { return nil }
        return code
    }
}

import Domain
import Foundation
import HTTP

/// A request as API handlers see it: authenticated, with its body checked against the
/// endpoint's schema before any handler code reads it.
public struct APIRequest: Sendable {
    public let http: Request
    public let principal: Principal
    let endpoint: Endpoint
    let context: APIContext

    /// A path parameter of the route (`{name}` → `parameter("name")`).
    func parameter(_ name: String) -> String { http.pathParameters[name] ?? "" }

    /// A path parameter that must be a positive integer id.
    func idParameter(_ name: String = "id") throws(HTTPError) -> Int64 {
        guard let id = Int64(parameter(name)), id > 0 else { throw .notFound() }
        return id
    }

    /// A path parameter that must be a UUID; anything else names no such resource.
    func uuidParameter(_ name: String = "id", what: String) throws(HTTPError) -> UUID {
        guard let id = UUID(uuidString: parameter(name)) else { throw .notFound("No such \(what).") }
        return id
    }

    /// The body, checked against the endpoint's schema and then decoded.
    func decodeBody<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        guard let schema = endpoint.body else { preconditionFailure("\(endpoint.path) declares no body") }
        return try context.validator.decode(type, from: http.body, schema: schema)
    }

    /// A declared query parameter, already checked by the dispatcher.
    func query(_ name: String) -> String? { http.query[name] }

    func queryInt(_ name: String) -> Int? { query(name).flatMap { Int($0) } }

    func queryDate(_ name: String) -> Date? { query(name).flatMap(Timestamp.parse) }

    func queryBool(_ name: String) -> Bool? { query(name).map { $0 == "true" } }

    var page: Page { get throws { try Page(limit: queryInt("limit"), cursor: query("cursor")) } }
}

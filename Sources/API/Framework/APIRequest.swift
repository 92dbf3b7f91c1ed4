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
        guard !http.body.isEmpty else { throw HTTPError.badRequest("A JSON body is required.", code: "malformed_json") }
        guard String(validating: http.body, as: UTF8.self) != nil else {
            throw HTTPError.badRequest("The body is not valid JSON: it is not UTF-8.", code: "malformed_json")
        }
        try JSONDepth.check(http.body)
        let value = try JSONCoding.decode(JSONValue.self, from: http.body)
        do {
            try context.validator.validate(value, against: schema)
        } catch {
            throw HTTPError.invalid(error)
        }
        return try JSONCoding.decode(type, from: http.body)
    }

    /// A declared query parameter, already checked by the dispatcher.
    func query(_ name: String) -> String? { http.query[name] }

    func queryInt(_ name: String) -> Int? { query(name).flatMap { Int($0) } }

    func queryDate(_ name: String) -> Date? { query(name).flatMap(Timestamp.parse) }

    func queryBool(_ name: String) -> Bool? { query(name).map { $0 == "true" } }

    var page: Page { get throws { try Page(limit: queryInt("limit"), cursor: query("cursor")) } }
}

extension Request {
    /// The client's address without the port, for the audit log and rate limits.
    var sourceAddress: String {
        guard let address = remoteAddress?.description else { return "unknown" }
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<end])
        }
        return address.split(separator: ":").first.map(String.init) ?? address
    }
}

/// Refuses JSON nested deeper than any schema here needs, before a parser recurses into it.
enum JSONDepth {
    static let maximum = 32

    static func check(_ body: [UInt8]) throws(HTTPError) {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in body {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximum {
                    throw .badRequest("The JSON body nests deeper than \(maximum) levels.", code: "malformed_json")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }
}

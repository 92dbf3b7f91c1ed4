import Domain
import Foundation
import HTTP

/// One REST operation, described once: the router, the role check, body validation, the audit
/// trail and the OpenAPI document are all derived from this value.
public struct Endpoint: Sendable {
    public enum Access: Sendable, Equatable {
        /// Answers without credentials (login, the OpenAPI document).
        case anonymous
        /// Requires a caller whose role satisfies this one.
        case role(Role)
    }

    public typealias Handler = @Sendable (APIRequest) async throws -> Response

    let method: String
    let path: String
    let access: Access
    let summary: String
    let tag: String
    var query: [QueryParameter] = []
    /// The request body's schema; nil for operations without a body.
    var body: Schema?
    var bodyLimit = Router.defaultBodyLimit
    let status: Int
    /// The success response's schema; nil for 204.
    let response: Schema?
    /// The success response's media type, as the OpenAPI document states it.
    let responseContentType: String
    let handler: Handler

    init(
        _ method: String, _ path: String, _ access: Access, _ summary: String, tag: String,
        query: [QueryParameter] = [], body: Schema? = nil, bodyLimit: Int = Router.defaultBodyLimit,
        status: Int = 200, response: Schema?, responseContentType: String = "application/json",
        handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.access = access
        self.summary = summary
        self.tag = tag
        self.query = query
        self.body = body
        self.bodyLimit = bodyLimit
        self.status = status
        self.response = response
        self.responseContentType = responseContentType
        self.handler = handler
    }

    /// Writes change state: they are audited, and POSTs honour `Idempotency-Key`.
    var isWrite: Bool { method != "GET" && method != "HEAD" }

    /// Writes to one existing resource honour `If-Match` (its ETag from a GET).
    var isConditional: Bool { isWrite && path.contains("{") }

    /// Operation ids for the OpenAPI document: `GET /v1/groups/{name}` → `get_v1_groups_name`.
    var operationID: String {
        let words = path.split(separator: "/").map { $0.trimmingCharacters(in: ["{", "}"]) }
        return ([method.lowercased()] + words).joined(separator: "_").replacingOccurrences(of: "-", with: "_")
    }
}

/// A query parameter an endpoint accepts; any other is refused with `invalid_field`.
public struct QueryParameter: Sendable {
    let name: String
    let schema: Schema
    let description: String

    init(_ name: String, _ schema: Schema, _ description: String) {
        self.name = name
        self.schema = schema
        self.description = description
    }

    static let limit = QueryParameter(
        "limit", .integer(minimum: 1, maximum: Int64(Page.maximumLimit)),
        "Items per page (default \(Page.defaultLimit)).")
    static let cursor = QueryParameter(
        "cursor", .string(maxLength: 512), "The `next_cursor` of the previous page.")
    static let since = QueryParameter("since", .timestamp, "Only items at or after this time (RFC 3339).")
    static let until = QueryParameter("until", .timestamp, "Only items before this time (RFC 3339).")
    static let paging = [limit, cursor]
}

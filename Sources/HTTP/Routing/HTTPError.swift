import Logging

/// An error that knows its HTTP answer. The dispatcher turns any such error into an RFC 9457
/// problem+json body; every other error becomes a generic 500.
public protocol HTTPResponseError: Error {
    var status: Int { get }
    /// Stable machine code, e.g. `invalid_field`, `not_found`.
    var code: String { get }
    var title: String { get }
    /// Human-readable detail; must never carry secrets.
    var detail: String { get }
}

public struct HTTPError: HTTPResponseError, Sendable, Equatable {
    public let status: Int
    public let code: String
    public let title: String
    public let detail: String

    public init(status: Int, code: String, title: String, detail: String) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
    }

    public static func badRequest(_ detail: String, code: String = "bad_request") -> HTTPError {
        HTTPError(status: 400, code: code, title: "Bad Request", detail: detail)
    }
    public static func invalidField(_ field: String, _ problem: String) -> HTTPError {
        HTTPError(status: 400, code: "invalid_field", title: "Invalid field", detail: "Field '\(field)' \(problem).")
    }
    public static func notFound(_ detail: String = "No such resource.") -> HTTPError {
        HTTPError(status: 404, code: "not_found", title: "Not Found", detail: detail)
    }
    public static func methodNotAllowed(_ allowed: [String]) -> HTTPError {
        HTTPError(
            status: 405, code: "method_not_allowed", title: "Method Not Allowed",
            detail: "Allowed methods: \(allowed.joined(separator: ", ")).")
    }
    public static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(
            status: 413, code: "payload_too_large", title: "Payload Too Large",
            detail: "The request body is larger than this route accepts (\(limit) bytes).")
    }
    public static func unavailable(_ detail: String) -> HTTPError {
        HTTPError(status: 503, code: "unavailable", title: "Service Unavailable", detail: detail)
    }

    static let statusPhrases: [Int: String] = [
        100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
        301: "Moved Permanently", 302: "Found", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized",
        403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict",
        412: "Precondition Failed", 413: "Content Too Large", 415: "Unsupported Media Type",
        422: "Unprocessable Content", 428: "Precondition Required", 429: "Too Many Requests",
        431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
        503: "Service Unavailable",
    ]

    static func reasonPhrase(_ status: Int) -> String { statusPhrases[status] ?? "Status \(status)" }
}

/// Problem codes of the API layers, built here so every module spells them the same.
extension HTTPError {
    public static func unauthenticated(
        _ detail: String = "Sign in or send a valid API key as 'Authorization: Bearer …'."
    )
        -> HTTPError
    {
        HTTPError(status: 401, code: "unauthenticated", title: "Unauthenticated", detail: detail)
    }
    public static func forbidden(_ detail: String) -> HTTPError {
        HTTPError(status: 403, code: "forbidden", title: "Forbidden", detail: detail)
    }
    public static func conflict(_ detail: String) -> HTTPError {
        HTTPError(status: 409, code: "conflict", title: "Conflict", detail: detail)
    }
    public static func preconditionFailed(_ detail: String) -> HTTPError {
        HTTPError(status: 412, code: "precondition_failed", title: "Precondition Failed", detail: detail)
    }
    public static func unprocessable(_ detail: String, code: String) -> HTTPError {
        HTTPError(status: 422, code: code, title: "Unprocessable Content", detail: detail)
    }
}

extension Response {
    /// The one place a handler's error becomes a response: errors that know their HTTP answer
    /// become that problem; anything else is logged and answered with a bland 500.
    public static func problem(for error: any Error, request: Request, logger: Logger) -> Response {
        if let error = error as? any HTTPResponseError { return .problem(error, requestID: request.id) }
        logger.error("handler failed", ["request.id": request.id, "http.path": request.path, "error": "\(error)"])
        let internalError = HTTPError(
            status: 500, code: "internal", title: "Internal Server Error",
            detail: "The server failed to answer. Quote request id \(request.id) when reporting this.")
        return .problem(internalError, requestID: request.id)
    }

    /// The problem+json rendering of an error (RFC 9457).
    public static func problem(_ error: any HTTPResponseError, requestID: String? = nil) -> Response {
        var fields: [String: String] = [
            "type": "https://palisade.dev/problems/\(error.code)", "title": error.title, "detail": error.detail,
            "code": error.code,
        ]
        if let requestID { fields["request_id"] = requestID }
        var json = "{"
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { json += "," }
            json += "\"\(key)\":" + JSONString.quote(fields[key]!)
        }
        json += ",\"status\":\(error.status)}"
        return Response(
            status: error.status, headers: ["content-type": "application/problem+json"], body: .bytes(Array(json.utf8)))
    }

}

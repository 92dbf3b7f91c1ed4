import Domain
import HTTP
import Storage

extension HTTPError {
    static func invalid(_ error: ValidationError) -> HTTPError { .invalidField(error.field, error.problem) }
}

/// Too many attempts; carries how long to wait (sent as `Retry-After`).
struct RateLimited: HTTPResponseError {
    let retryAfterSeconds: Int
    let status = 429
    let code = "rate_limited"
    let title = "Too Many Requests"
    var detail: String { "Too many failed sign-in attempts; try again in \(retryAfterSeconds) seconds." }
}

enum APIErrors {
    /// Database errors a client can cause become 4xx problems; everything else stays a 500.
    static func map(_ error: any Error) -> any Error {
        switch error {
        case let error as ValidationError: return HTTPError.invalid(error)
        case let error as PostgresError where error.isUniqueViolation:
            return HTTPError.conflict("A resource with the same name or key already exists.")
        case let error as PostgresError where error.sqlState == "23503":
            return HTTPError.conflict("The change would leave a reference to something that does not exist.")
        case let error as PostgresError where error.sqlState == "23514" || error.sqlState == "22P02":
            return HTTPError.badRequest("A value is outside what the field accepts.", code: "invalid_field")
        default: return error
        }
    }
}

/// A database failure. `description` is deliberately bland (no SQL, no values, no connection
/// string) so it can reach logs and API responses safely; `debugDescription` has the server's
/// message for operators.
public struct PostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public static let connectionFailed = Code(rawValue: "connection_failed")
        public static let connectionLost = Code(rawValue: "connection_lost")
        public static let server = Code(rawValue: "server")
        public static let timeout = Code(rawValue: "timeout")
        public static let decoding = Code(rawValue: "decoding")
        public static let migration = Code(rawValue: "migration")
        public var description: String { rawValue }
    }

    public let code: Code
    /// The five-character SQLSTATE for server errors, e.g. `23505` for a unique violation.
    public let sqlState: String?
    let message: String

    init(_ code: Code, sqlState: String? = nil, message: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    /// Worth retrying once the database is reachable again: the statement never ran, or ran in
    /// a transaction the server rolled back.
    public var isRetryable: Bool {
        code == .connectionLost || code == .connectionFailed || sqlState == "40001" || sqlState == "40P01"
            || sqlState?.hasPrefix("08") == true || sqlState == "57P01"
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }

    public var description: String {
        "database error (\(code)" + (sqlState.map { ", SQLSTATE \($0)" } ?? "") + ")"
    }

    public var debugDescription: String { description + ": " + message }
}

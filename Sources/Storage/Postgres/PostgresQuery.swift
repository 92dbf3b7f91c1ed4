import Foundation

/// A SQL statement whose interpolated values become `$n` parameters, never SQL text:
/// `"SELECT * FROM users WHERE name = \(name)"` sends `... WHERE name = $1` with `name` bound.
/// SQL that must be built from text (identifiers, migration files) is spelled `unsafeSQL:`.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    public private(set) var sql: String
    public private(set) var binds: [String?]

    public init(stringLiteral value: String) {
        sql = value
        binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        sql = stringInterpolation.sql
        binds = stringInterpolation.binds
    }

    /// Raw SQL with explicit parameters. The caller vouches that `sql` holds no outside input.
    public init(unsafeSQL sql: String, binds: [(any PostgresBindable)?] = []) {
        self.sql = sql
        self.binds = binds.map { $0?.postgresText }
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        public mutating func appendInterpolation(_ value: some PostgresBindable) {
            binds.append(value.postgresText)
            sql += "$\(binds.count)"
        }

        public mutating func appendInterpolation(_ value: (some PostgresBindable)?) {
            binds.append(value?.postgresText)
            sql += "$\(binds.count)"
        }

        /// Splices text into the SQL itself; only for identifiers the code controls.
        public mutating func appendInterpolation(unsafeRaw text: String) { sql += text }
    }
}

/// A Swift value that can be sent as a text-format parameter.
public protocol PostgresBindable: Sendable {
    var postgresText: String { get }
}

extension String: PostgresBindable { public var postgresText: String { self } }
extension Int: PostgresBindable { public var postgresText: String { String(self) } }
extension Int64: PostgresBindable { public var postgresText: String { String(self) } }
extension Int32: PostgresBindable { public var postgresText: String { String(self) } }
extension Double: PostgresBindable { public var postgresText: String { String(self) } }
extension Bool: PostgresBindable { public var postgresText: String { self ? "t" : "f" } }
extension UUID: PostgresBindable { public var postgresText: String { uuidString.lowercased() } }
extension Date: PostgresBindable {
    public var postgresText: String {
        formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
/// bytea, in PostgreSQL's hex input format.
extension Array: PostgresBindable where Element == UInt8 {
    public var postgresText: String {
        "\\x" + map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
}

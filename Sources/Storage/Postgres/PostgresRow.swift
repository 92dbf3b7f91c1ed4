import Foundation

/// The complete result of one statement, copied out of libpq before it is freed.
public struct PostgresRows: Sendable, Sequence {
    public let columns: [String]
    let values: [[String?]]
    /// Rows affected, for INSERT / UPDATE / DELETE / COPY.
    public let affectedRows: Int

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }

    public func makeIterator() -> AnyIterator<PostgresRow> {
        var index = 0
        return AnyIterator {
            guard index < values.count else { return nil }
            defer { index += 1 }
            return PostgresRow(columns: columns, values: values[index])
        }
    }

    public var first: PostgresRow? { values.first.map { PostgresRow(columns: columns, values: $0) } }
}

/// One row, decoded by column name or position.
public struct PostgresRow: Sendable {
    let columns: [String]
    let values: [String?]

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws(PostgresError) -> T {
        guard let index = columns.firstIndex(of: column) else {
            throw PostgresError(.decoding, message: "no column \(column)")
        }
        return try decode(type, at: index)
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws(PostgresError) -> T {
        guard index < values.count else { throw PostgresError(.decoding, message: "no column \(index)") }
        guard let text = values[index] else {
            if let optional = T.decodeNull() { return optional }
            throw PostgresError(.decoding, message: "column \(columns[index]) is NULL")
        }
        guard let value = T(postgresText: text) else {
            throw PostgresError(.decoding, message: "column \(columns[index]) is not a \(T.self)")
        }
        return value
    }
}

/// A Swift value read from PostgreSQL's text output format.
public protocol PostgresDecodable {
    init?(postgresText: String)
    /// The value for SQL NULL, or nil when NULL is an error for this type.
    static func decodeNull() -> Self?
}

extension PostgresDecodable {
    public static func decodeNull() -> Self? { nil }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init?(postgresText: String) {
        guard let value = Wrapped(postgresText: postgresText) else { return nil }
        self = .some(value)
    }
    public static func decodeNull() -> Self? { .some(.none) }
}

extension String: PostgresDecodable {
    public init?(postgresText: String) { self = postgresText }
}
extension Int: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}
extension Int64: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}
extension Double: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}
extension Bool: PostgresDecodable {
    public init?(postgresText: String) {
        switch postgresText {
        case "t": self = true
        case "f": self = false
        default: return nil
        }
    }
}
extension UUID: PostgresDecodable {
    public init?(postgresText: String) { self.init(uuidString: postgresText) }
}
extension Array: PostgresDecodable where Element == UInt8 {
    /// bytea in hex output format (`\x0a1b…`).
    public init?(postgresText: String) {
        guard postgresText.hasPrefix("\\x") else { return nil }
        let hex = Array(postgresText.utf8.dropFirst(2))
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var i = 0
        while i < hex.count {
            guard let byte = UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            i += 2
        }
        self = bytes
    }
}
extension Date: PostgresDecodable {
    /// timestamptz in ISO DateStyle with the session in UTC: `2026-12-03 17:47:40.123456+00`.
    public init?(postgresText: String) {
        let text = Array(postgresText.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= text.count else { return nil }
            return Int(String(decoding: text[range], as: UTF8.self))
        }
        guard text.count >= 22, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var fraction = 0.0
        var index = 19
        if index < text.count && text[index] == UInt8(ascii: ".") {
            let start = index
            index += 1
            while index < text.count && text[index] >= 0x30 && text[index] <= 0x39 { index += 1 }
            fraction = Double(String(decoding: text[start..<index], as: UTF8.self)) ?? 0
        }
        guard String(decoding: text[index...], as: UTF8.self) == "+00" else { return nil }
        var components = DateComponents(
            calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"), year: year, month: month,
            day: day, hour: hour, minute: minute, second: second)
        components.nanosecond = 0
        guard let date = components.date else { return nil }
        self = date.addingTimeInterval(fraction)
    }
}

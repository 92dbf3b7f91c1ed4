import Foundation

/// Typed reads of one object field's value, for readers that go field by field (enforcer report
/// batches). `null` reads as absent; any other wrong type is an `invalid_field` naming `field`
/// (built only when there is an error to report).
extension JSONReader {
    public mutating func string(field: @autoclosure () -> String) throws(HTTPError) -> String? {
        switch try peek() {
        case .null:
            try readNull()
            return nil
        case .string:
            return try readString()
        default:
            throw Self.wrongType(field(), "a string")
        }
    }

    public mutating func integer(field: @autoclosure () -> String) throws(HTTPError) -> Int64? {
        switch try peek() {
        case .null:
            try readNull()
            return nil
        case .number:
            guard case .integer(let value) = try readNumber() else { throw Self.wrongType(field(), "an integer") }
            return value
        default:
            throw Self.wrongType(field(), "an integer")
        }
    }

    public mutating func enumeration<T: RawRepresentable & CaseIterable>(
        _ type: T.Type, field: @autoclosure () -> String
    ) throws(HTTPError) -> T? where T.RawValue == String {
        guard let text = try string(field: field()) else { return nil }
        guard let value = T(rawValue: text) else {
            throw .invalidField(
                field(), "must be one of: \(T.allCases.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        return value
    }

    /// An RFC 3339 timestamp.
    public mutating func timestamp(field: @autoclosure () -> String) throws(HTTPError) -> Date? {
        guard let text = try string(field: field()) else { return nil }
        guard let date = Timestamp.parse(text) else { throw Self.wrongType(field(), "an RFC 3339 timestamp") }
        return date
    }

    private static func wrongType(_ field: String, _ expected: String) -> HTTPError {
        .invalidField(field, "has the wrong type: expected \(expected)")
    }
}

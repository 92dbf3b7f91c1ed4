import Foundation

/// Typed, optional fields of one parsed JSON object, for bulk bodies read without `Decodable`
/// (which costs several times more for large batches). A field that is absent or `null` reads as
/// nil; one of the wrong type is a 400 naming it by `path`, as the API's other errors do.
public struct JSONFields {
    let object: [String: JSONValue]
    let path: (String) -> String

    public init(_ object: [String: JSONValue], path: @escaping (String) -> String) {
        self.object = object
        self.path = path
    }

    private func present(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    private func wrongType(_ key: String, _ expected: String) -> HTTPError {
        .invalidField(path(key), "has the wrong type: expected \(expected)")
    }

    public func string(_ key: String) throws(HTTPError) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, "a string") }
        return text
    }

    public func integer(_ key: String) throws(HTTPError) -> Int64? {
        guard let value = present(key) else { return nil }
        guard case .integer(let number) = value else { throw wrongType(key, "an integer") }
        return number
    }

    public func enumeration<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(HTTPError) -> T?
    where T.RawValue == String, T: CaseIterable {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw .invalidField(
                path(key), "must be one of: \(T.allCases.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        return value
    }

    /// An RFC 3339 timestamp.
    public func timestamp(_ key: String) throws(HTTPError) -> Date? {
        guard let text = try string(key) else { return nil }
        guard let date = Timestamp.parse(text) else { throw wrongType(key, "an RFC 3339 timestamp") }
        return date
    }
}

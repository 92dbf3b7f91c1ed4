/// Typed decoding that refuses unknown fields, for bulk bodies too large to check against a
/// schema first: a type's `init(from:)` calls `decoder.rejectUnknownKeys(CodingKeys.self)`.
public struct UnknownField: Error, Sendable {
    /// Wire path of the field, e.g. `reports[3].colour`.
    public let path: String
}

struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    public func rejectUnknownKeys<Key: CodingKey & CaseIterable>(_ keys: Key.Type) throws {
        let known = Set(Key.allCases.map(\.stringValue))
        let container = try self.container(keyedBy: AnyCodingKey.self)
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw UnknownField(path: JSONPath.of(codingPath + [AnyCodingKey(stringValue: unknown)]))
        }
    }
}

/// Coding paths in the form problem details use: `reports[3].kind`.
enum JSONPath {
    static func of(_ keys: [any CodingKey]) -> String {
        var path = ""
        for key in keys {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}

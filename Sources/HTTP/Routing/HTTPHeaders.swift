/// Header fields in arrival order. Names are stored lowercase (HTTP/2 requires it, and it makes
/// lookups simple); values are kept as received.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name: name, value: value) }
    }

    public mutating func add(name: String, value: String) {
        fields.append((name.lowercased(), value))
    }

    /// Replaces every field of this name with one field.
    public mutating func replaceOrAdd(name: String, value: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name == lower }
        fields.append((lower, value))
    }

    public mutating func remove(name: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name == lower }
    }

    /// The first value of a field, if present.
    public subscript(name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name == lower }?.value
    }

    public func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return fields.filter { $0.name == lower }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

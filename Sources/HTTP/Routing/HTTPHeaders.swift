/// Header fields in arrival order. Names are stored lowercase (HTTP/2 requires it, and it makes
/// lookups simple); values are kept as received. Lookups are ASCII case-insensitive and never
/// allocate, because they sit on every request's path.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        fields.reserveCapacity(elements.count)
        for (name, value) in elements { add(name: name, value: value) }
    }

    public mutating func add(name: String, value: String) {
        fields.append((Self.lowercase(name), value))
    }

    mutating func reserveCapacity(_ count: Int) { fields.reserveCapacity(count) }

    /// Adds a field whose name the caller knows is already lowercase (HTTP/2 guarantees it).
    mutating func appendLowercased(name: String, value: String) {
        fields.append((name, value))
    }

    /// Replaces every field of this name with one field.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    public mutating func remove(name: String) {
        fields.removeAll { Self.equalIgnoringCase($0.name, name) }
    }

    /// The first value of a field, if present.
    public subscript(name: String) -> String? {
        fields.first { Self.equalIgnoringCase($0.name, name) }?.value
    }

    public func values(_ name: String) -> [String] {
        fields.filter { Self.equalIgnoringCase($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// Fields that the framing layer owns (connection-level ones, and the request id the server
    /// adds itself); handlers' values for them are dropped.
    static func isHopByHop(_ name: String) -> Bool {
        // Most names are told apart by their length alone; this runs for every response header.
        switch name.utf8.count {
        case 7, 10, 12, 14, 17: break
        default: return false
        }
        switch name {
        case "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "x-request-id": return true
        default: return false
        }
    }

    /// Lowercases ASCII letters only (header names are ASCII tokens); returns the same string,
    /// without allocating, when there is nothing to change.
    static func lowercase(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return name }
        return String(decoding: name.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    static func equalIgnoringCase(_ stored: String, _ asked: String) -> Bool {
        stored.utf8.elementsEqual(asked.utf8) { a, b in a == (b >= 0x41 && b <= 0x5A ? b + 0x20 : b) }
    }
}

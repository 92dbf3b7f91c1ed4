import Foundation

/// Any JSON value, with numbers and booleans kept apart (JSONSerialization would blur them).
/// Request bodies are read into this first so they can be checked against their schema before
/// they are decoded into typed values; the OpenAPI document is built from it too.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON type name used in error messages and JSON Schema.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

/// An optional that encodes as JSON `null` when empty (Swift's synthesized encoding leaves the
/// key out), so API responses always carry every documented field.
@propertyWrapper
public struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension JSONValue {
    /// Parses JSON text with Foundation's JSONSerialization, several times faster than decoding
    /// through `Decodable` (which tries each case in turn). Booleans stay booleans: the parser
    /// returns them as the one NSNumber kind (`c`) it never uses for numbers.
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        convert(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
    }

    /// A request body, checked in order: present, UTF-8, nested at most `JSONDepth.maximum`
    /// levels, JSON. Each failure is a 400 `malformed_json` saying which.
    public static func parseBody(_ body: [UInt8]) throws(HTTPError) -> JSONValue {
        guard !body.isEmpty else { throw .badRequest("A JSON body is required.", code: "malformed_json") }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw .badRequest("The body is not valid JSON: it is not UTF-8.", code: "malformed_json")
        }
        try JSONDepth.check(body)
        do { return try parse(body) } catch {
            throw .badRequest("The body is not valid JSON.", code: "malformed_json")
        }
    }

    private static func convert(_ value: Any) -> JSONValue {
        // Containers before NSNumber: testing a Swift dictionary or array against a class
        // bridges it to NSDictionary/NSArray first, which cost more than the parse itself.
        switch value {
        case let text as String:
            return .string(text)
        case let object as [String: Any]:
            return .object(object.mapValues(convert))
        case let array as [Any]:
            return .array(array.map(convert))
        case let number as NSNumber:
            let kind = String(cString: number.objCType)
            if kind == "c" { return .bool(number.boolValue) }
            if kind == "d" || kind == "f" { return .number(number.doubleValue) }
            if kind == "Q", number.uint64Value > UInt64(Int64.max) { return .number(number.doubleValue) }
            return .integer(number.int64Value)
        default:
            return .null
        }
    }
}

import Foundation

/// Checks a JSON value against a schema, naming the first offending field by its wire path
/// (`criteria[2].op`) so the problem+json `detail` (`invalid_field`) says exactly what to fix.
public struct SchemaValidator: Sendable {
    public let components: [String: Schema]

    public init(components: [String: Schema]) { self.components = components }

    /// A request body, checked in order: present, strict JSON (`JSONReader`), valid against
    /// `schema`; then decoded into `T`.
    public func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], schema: Schema) throws(HTTPError) -> T {
        try validate(try JSONValue.parseBody(body), against: schema)
        return try JSONCoding.decode(type, from: body)
    }

    public func validate(_ value: JSONValue, against schema: Schema, at path: String = "") throws(HTTPError) {
        let field = path.isEmpty ? "body" : path
        switch (schema, value) {
        case (.ref(let name), _):
            guard let resolved = components[name] else { preconditionFailure("schema \(name) is not registered") }
            try validate(value, against: resolved, at: path)
        case (.nullable, .null), (.any, _):
            return
        case (.nullable(let inner), _):
            try validate(value, against: inner, at: path)
        case (.object(let properties), .object(let members)):
            for key in members.keys.sorted() where !properties.contains(where: { $0.name == key }) {
                throw HTTPError.invalidField(join(path, key), "is not a known field")
            }
            for property in properties {
                if let member = members[property.name] {
                    try validate(member, against: property.schema, at: join(path, property.name))
                } else if property.required {
                    throw HTTPError.invalidField(join(path, property.name), "is required")
                }
            }
        case (.map(let values, let maxProperties), .object(let members)):
            guard members.count <= maxProperties else {
                throw HTTPError.invalidField(field, "has more than \(maxProperties) entries")
            }
            for key in members.keys.sorted() {
                guard !key.isEmpty, key.utf8.count <= 253 else {
                    throw HTTPError.invalidField(field, "has a key that is empty or longer than 253 bytes")
                }
                try validate(members[key]!, against: values, at: join(path, key))
            }
        case (.array(let items, let maxItems, let unique), .array(let elements)):
            guard elements.count <= maxItems else {
                throw HTTPError.invalidField(field, "has more than \(maxItems) items")
            }
            for (index, element) in elements.enumerated() {
                try validate(element, against: items, at: "\(path)[\(index)]")
            }
            if unique {
                for (index, element) in elements.enumerated() where elements[..<index].contains(element) {
                    throw HTTPError.invalidField("\(path)[\(index)]", "repeats an earlier item")
                }
            }
        case (.string(let maxLength, let minLength, let format), .string(let text)):
            let length = text.unicodeScalars.count
            guard length >= minLength, length <= maxLength else {
                throw HTTPError.invalidField(field, "must be \(minLength)-\(maxLength) characters long")
            }
            if let format { try check(text, format: format, field: field) }
        case (.enumeration(let allowed), .string(let text)):
            guard allowed.contains(text) else {
                throw HTTPError.invalidField(field, "must be one of: \(allowed.joined(separator: ", "))")
            }
        case (.integer(let minimum, let maximum), .integer(let number)):
            guard number >= minimum, number <= maximum else {
                throw HTTPError.invalidField(field, "must be between \(minimum) and \(maximum)")
            }
        case (.number, .integer), (.number, .number), (.boolean, .bool):
            return
        default:
            throw HTTPError.invalidField(field, "must be \(expected(schema)), not \(value.typeName)")
        }
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func check(_ text: String, format: String, field: String) throws(HTTPError) {
        switch format {
        case "date-time":
            guard Timestamp.parse(text) != nil else {
                throw HTTPError.invalidField(field, "must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")
            }
        case "uuid":
            guard UUID(uuidString: text) != nil else { throw HTTPError.invalidField(field, "must be a UUID") }
        default:
            return
        }
    }

    private func expected(_ schema: Schema) -> String {
        switch schema {
        case .object, .map: "an object"
        case .array: "an array"
        case .string, .enumeration: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        case .nullable(let inner): expected(inner) + " or null"
        case .ref(let name): components[name].map(expected) ?? "an object"
        case .any: "any value"
        }
    }
}

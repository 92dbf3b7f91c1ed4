import Foundation

/// A small JSON Schema (the subset OpenAPI 3.1 documents use here). One value serves twice:
/// it checks request bodies before they are decoded, and it is rendered into `/v1/openapi.json`,
/// so the document cannot drift from what the server accepts.
public indirect enum Schema: Sendable {
    public struct Property: Sendable {
        public let name: String
        public let schema: Schema
        public let required: Bool

        public init(_ name: String, _ schema: Schema, required: Bool = true) {
            self.name = name
            self.schema = schema
            self.required = required
        }

        public static func optional(_ name: String, _ schema: Schema) -> Property {
            Property(name, schema, required: false)
        }
    }

    /// Unknown properties are refused.
    case object([Property])
    /// An object whose property names are free (labels, facts): values of one schema.
    case map(Schema, maxProperties: Int)
    case array(Schema, maxItems: Int, unique: Bool = false)
    case string(maxLength: Int, minLength: Int = 0, format: String? = nil)
    case enumeration([String])
    case integer(minimum: Int64, maximum: Int64)
    case number
    case boolean
    /// A named schema under `#/components/schemas`.
    case ref(String)
    case nullable(Schema)
    /// Any JSON (free-form detail objects in responses).
    case any

    public static func enumeration<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> Schema
    where E.RawValue == String {
        .enumeration(type.allCases.map(\.rawValue))
    }

    public static let timestamp = Schema.string(maxLength: 64, format: "date-time")
    public static let uuid = Schema.string(maxLength: 36, minLength: 36, format: "uuid")
}

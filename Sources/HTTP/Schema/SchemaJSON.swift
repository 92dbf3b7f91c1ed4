/// Schema → JSON Schema (OpenAPI 3.1 dialect) as it appears in `/v1/openapi.json`.
extension Schema {
    public var json: JSONValue {
        switch self {
        case .object(let properties):
            var object: [String: JSONValue] = [
                "type": "object", "additionalProperties": false,
                "properties": .object(Dictionary(uniqueKeysWithValues: properties.map { ($0.name, $0.schema.json) })),
            ]
            let required = properties.filter(\.required).map { JSONValue.string($0.name) }
            if !required.isEmpty { object["required"] = .array(required) }
            return .object(object)
        case .map(let values, let maxProperties):
            return [
                "type": "object", "additionalProperties": values.json, "maxProperties": .integer(Int64(maxProperties)),
            ]
        case .array(let items, let maxItems, let unique):
            var object: [String: JSONValue] = ["type": "array", "items": items.json]
            if maxItems < Int.max { object["maxItems"] = .integer(Int64(maxItems)) }
            if unique { object["uniqueItems"] = true }
            return .object(object)
        case .string(let maxLength, let minLength, let format):
            var object: [String: JSONValue] = ["type": "string", "maxLength": .integer(Int64(maxLength))]
            if minLength > 0 { object["minLength"] = .integer(Int64(minLength)) }
            if let format { object["format"] = .string(format) }
            return .object(object)
        case .enumeration(let values):
            return ["type": "string", "enum": .array(values.map(JSONValue.string))]
        case .integer(let minimum, let maximum):
            return ["type": "integer", "minimum": .integer(minimum), "maximum": .integer(maximum)]
        case .number:
            return ["type": "number"]
        case .boolean:
            return ["type": "boolean"]
        case .ref(let name):
            return ["$ref": .string("#/components/schemas/\(name)")]
        case .nullable(let inner):
            return ["oneOf": [inner.json, ["type": "null"]]]
        case .any:
            return [:]
        }
    }
}

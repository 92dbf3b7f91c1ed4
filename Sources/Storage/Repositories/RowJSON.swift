import Foundation
import HTTP

/// JSON crosses into and out of SQL as text: arrays and objects are bound as `jsonb` and read
/// back with `to_json(…)`, which keeps the driver free of array formats.
public enum SQLJSON {
    public static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONCoding.encode(value), as: UTF8.self)
    }
}

extension PostgresRow {
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(try decode(String.self, column).utf8))
    }
}

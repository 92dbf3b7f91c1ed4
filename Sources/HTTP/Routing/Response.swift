import Foundation

/// What a handler answers: status, headers and a body that is either whole or streamed.
public struct Response: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Written piece by piece until the closure returns (or the peer goes away, which cancels
        /// its task and makes further writes throw).
        case stream(@Sendable (ResponseBodyWriter) async throws -> Void)
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: Int = 200, headers: HTTPHeaders = [:], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func text(_ text: String, status: Int = 200) -> Response {
        Response(status: status, headers: ["content-type": "text/plain; charset=utf-8"], body: .bytes(Array(text.utf8)))
    }

    public static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> Response {
        Response(
            status: status, headers: ["content-type": "application/json"], body: .bytes(try JSONCoding.encode(value)))
    }

    /// A response whose body is written while the connection stays open.
    public static func streaming(
        contentType: String, status: Int = 200, _ writer: @escaping @Sendable (ResponseBodyWriter) async throws -> Void
    ) -> Response {
        Response(
            status: status, headers: ["content-type": contentType, "cache-control": "no-store"], body: .stream(writer))
    }
}

/// The one JSON configuration of the API: ISO 8601 dates, sorted keys for stable output.
public enum JSONCoding {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Decodes a request body; malformed input becomes a 400 problem naming what was wrong.
    public static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(HTTPError) -> T {
        let decoder = JSONDecoder()
        // RFC 3339 with or without fractional seconds, any offset.
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = Timestamp.parse(text) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp")
        }
        do {
            return try decoder.decode(type, from: Data(body))
        } catch let error as UnknownField {
            throw .invalidField(error.path, "is not a known field")
        } catch let DecodingError.keyNotFound(key, _) {
            throw .invalidField(key.stringValue, "is required")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
            let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty
        {
            throw .invalidField(JSONPath.of(context.codingPath), "has the wrong type")
        } catch {
            throw .badRequest("The body is not valid JSON.", code: "malformed_json")
        }
    }
}

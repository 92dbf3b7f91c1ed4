import Foundation
import HTTP
import PKI

/// Entity tags for single resources: a hash of the resource's JSON. `If-Match` on a write makes
/// it conditional: the write only happens if the resource is still what the client last read.
enum ETag {
    static let maximumHeaderLength = 256

    static func of(_ body: [UInt8]) -> String { "\"" + Digest.sha256Hex(body).prefix(32) + "\"" }

    /// Throws 412 when the request carries `If-Match` and `current` no longer matches it.
    static func check(_ request: APIRequest, current: some Encodable) throws {
        guard let header = request.http.headers["if-match"] else { return }
        let tags = header.split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "")
        }
        if tags.contains("*") { return }
        let currentTag = of(try JSONCoding.encode(current))
        guard tags.contains(currentTag) else {
            throw HTTPError.preconditionFailed(
                "The resource changed since it was read (ETag \(currentTag)); read it again.")
        }
    }
}

extension Response {
    /// A single resource: JSON with its ETag.
    static func resource<T: Encodable>(_ value: T, status: Int = 200) throws -> Response {
        let body = try JSONCoding.encode(value)
        return Response(
            status: status, headers: ["content-type": "application/json", "etag": ETag.of(body)], body: .bytes(body))
    }

    static let noContent = Response(status: 204)
}

import Foundation
import HTTP
import PKI
import Storage

/// `Idempotency-Key` on POST: the first answer to a key is stored (per caller) and replayed for
/// every repeat with the same request, so a SOAR playbook that retries after a timeout never
/// creates twice. The same key with a different request is refused. Keys live 24 hours.
enum Idempotency {
    static let maximumKeyLength = 128

    struct Claim {
        let key: String
        let actor: String
        let requestHash: [UInt8]
    }

    static func claim(for request: APIRequest) throws(HTTPError) -> Claim? {
        guard request.endpoint.method == "POST", let key = request.http.headers["idempotency-key"] else { return nil }
        guard (1...maximumKeyLength).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidField("Idempotency-Key", "must be 1-\(maximumKeyLength) visible ASCII characters")
        }
        let identity = Array("\(request.http.method) \(request.http.path)?\(request.http.query.items)\n".utf8)
        return Claim(key: key, actor: request.principal.actor, requestHash: Digest.sha256(identity + request.http.body))
    }

    /// The stored answer to an earlier identical request, if there is one.
    static func replay(_ claim: Claim, context: APIContext) async throws -> Response? {
        let rows = try await context.pool.query(
            """
            SELECT request_hash, status, response FROM idempotency_keys
            WHERE actor = \(claim.actor) AND key = \(claim.key) AND created_at > now() - interval '24 hours'
            """)
        guard let row = rows.first else { return nil }
        guard try row.decode([UInt8].self, "request_hash") == claim.requestHash else {
            throw HTTPError.unprocessable(
                "This Idempotency-Key was used for a different request.", code: "idempotency_key_reused")
        }
        return Response(
            status: try row.decode(Int.self, "status"),
            headers: ["content-type": "application/json", "idempotent-replayed": "true"],
            body: .bytes(try row.decode([UInt8].self, "response")))
    }

    /// Stores a completed answer (not server errors: those may succeed on retry).
    static func store(_ claim: Claim, response: Response, context: APIContext) async {
        guard response.status < 500, case .bytes(let body) = response.body else { return }
        _ = try? await context.pool.query(
            """
            INSERT INTO idempotency_keys (key, actor, request_hash, status, response)
            VALUES (\(claim.key), \(claim.actor), \(claim.requestHash), \(response.status), \(body))
            ON CONFLICT (actor, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status,
                response = EXCLUDED.response, created_at = now()
            WHERE idempotency_keys.created_at <= now() - interval '24 hours'
            """)
    }
}

import Foundation
import HTTP

/// The enforcer channel as this process calls it: JSON requests and the NDJSON policy stream,
/// over HTTP/1.1 with TLS 1.3 and (after enrollment) the node's client certificate.
struct ChannelClient: Sendable {
    let server: (host: String, port: UInt16)
    let client: BlockingHTTPClient

    init(server: (host: String, port: UInt16), caPath: String, identity: (certificate: String, key: String)?) throws {
        var configuration = BlockingHTTPClient.Configuration(host: server.host, port: server.port)
        configuration.trustedCAPath = caPath
        configuration.clientCertificate = identity.map { (certificatePath: $0.certificate, keyPath: $0.key) }
        configuration.timeoutSeconds = 40  // longer than two heartbeats
        self.server = server
        client = try BlockingHTTPClient(configuration)
    }

    /// Sends JSON, returns the JSON answer; non-2xx answers throw with the problem's detail.
    @discardableResult
    func call(_ method: String, _ path: String, body: JSONValue, bearer: String? = nil) throws -> JSONValue {
        var headers: HTTPHeaders = ["content-type": "application/json", "user-agent": "palisade-enforcer"]
        if let bearer { headers.add(name: "authorization", value: "Bearer \(bearer)") }
        let response = try client.send(method: method, path: path, headers: headers, body: try JSONCoding.encode(body))
        let json = try? JSONCoding.decode(JSONValue.self, from: response.body)
        guard (200..<300).contains(response.status), let json else {
            let detail = json.flatMap { value -> String? in
                if case .object(let fields) = value, case .string(let detail)? = fields["detail"] { return detail }
                return nil
            }
            throw Failure.failed("\(method) \(path): \(response.status) \(detail ?? "")")
        }
        return json
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}

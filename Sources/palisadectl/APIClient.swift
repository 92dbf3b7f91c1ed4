import Foundation
import HTTP

/// The REST API as palisadectl calls it: server, trust and credentials resolved once (flags >
/// environment > stored login > defaults), JSON in and out, problems turned into failures.
struct APIClient {
    static let defaultServer = "https://127.0.0.1:10443"
    /// Where `palisade serve` keeps its CA when started from the same directory with defaults.
    static let localCA = ".palisade/tls/ca.pem"

    let server: String
    let ca: String?
    let token: String?
    private let client: BlockingHTTPClient

    init(_ arguments: Arguments, requireToken: Bool = true) throws(Failure) {
        let environment = ProcessInfo.processInfo.environment
        let stored = StoredLogin.load()
        server = arguments["server"] ?? environment["PALISADE_SERVER"] ?? stored?.server ?? Self.defaultServer
        ca =
            arguments["ca"] ?? environment["PALISADE_CA"] ?? (stored?.server == server ? stored?.ca : nil)
            ?? (FileManager.default.fileExists(atPath: Self.localCA) ? Self.localCA : nil)
        token =
            environment["PALISADE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (stored?.server == server ? stored?.token : nil)
        if requireToken && token == nil {
            throw .usage("not signed in: run 'palisadectl login' or set PALISADE_TOKEN to an API key")
        }
        guard let url = URLComponents(string: server), let host = url.host, !host.isEmpty,
            url.scheme == "https" || url.scheme == "http", url.path.isEmpty || url.path == "/"
        else { throw .usage("--server must look like https://host:port") }
        var configuration = BlockingHTTPClient.Configuration(
            host: host, port: UInt16(url.port ?? (url.scheme == "https" ? 443 : 80)))
        configuration.useTLS = url.scheme == "https"
        configuration.trustedCAPath = ca
        if let ca, !FileManager.default.isReadableFile(atPath: ca) { throw .usage("cannot read CA bundle \(ca)") }
        do { client = try BlockingHTTPClient(configuration) } catch { throw .unavailable("TLS setup failed: \(error)") }
    }

    /// Sends a request; returns the parsed JSON body (null for 204). API errors become failures
    /// with the problem's detail.
    @discardableResult
    func call(_ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil) throws(Failure)
        -> JSONValue
    {
        var target = path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            target += "?" + (components.percentEncodedQuery ?? "")
        }
        var headers: HTTPHeaders = ["accept": "application/json", "user-agent": "palisadectl"]
        if let token { headers.add(name: "authorization", value: "Bearer \(token)") }
        var bytes: [UInt8] = []
        if let body {
            headers.add(name: "content-type", value: "application/json")
            do { bytes = try JSONCoding.encode(body) } catch { throw .data("cannot encode the request: \(error)") }
        }
        let response: BlockingHTTPClient.Response
        do {
            response = try client.send(method: method, path: target, headers: headers, body: bytes)
        } catch {
            throw .unavailable("cannot reach \(server): \(error)")
        }
        let json =
            response.body.isEmpty ? JSONValue.null : (try? JSONCoding.decode(JSONValue.self, from: response.body))
        guard (200..<300).contains(response.status) else {
            if case .object(let problem)? = json, case .string(let detail)? = problem["detail"] {
                let code = problem["code"].flatMap { if case .string(let c) = $0 { c } else { nil } } ?? "error"
                throw .api("\(response.status) \(code): \(detail)")
            }
            throw .api("the server answered \(response.status)")
        }
        guard let json else { throw .api("the server answered \(response.status) without JSON") }
        return json
    }

    /// Every item of a list, following `next_cursor` until `limit` items.
    func list(_ path: String, query: [(String, String)], limit: Int) throws(Failure) -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: String?
        repeat {
            let page = min(500, limit - items.count)
            var parameters = query + [("limit", String(page))]
            if let cursor { parameters.append(("cursor", cursor)) }
            let body = try call("GET", path, query: parameters)
            guard case .object(let fields) = body, case .array(let pageItems)? = fields["items"] else {
                throw .api("\(path) did not answer with a list")
            }
            items += pageItems
            if case .string(let next)? = fields["next_cursor"] { cursor = next } else { cursor = nil }
        } while cursor != nil && items.count < limit
        return items
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var text: String {
        switch self {
        case .null: "-"
        case .bool(let value): value ? "yes" : "no"
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .string(let value): value.isEmpty ? "-" : value
        case .array(let values): values.isEmpty ? "-" : values.map(\.text).joined(separator: ",")
        case .object: (try? JSONCoding.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
    }
}

import Foundation

/// A request handler. It runs on the connection's event loop (its task prefers that loop as its
/// executor), so it must not block: await anything that waits.
public typealias Handler = @Sendable (Request) async throws -> Response

/// Method + path patterns such as `/v1/groups/{name}`, matched segment by segment.
///
/// Built once at start-up, then shared read-only by every loop.
public struct Router: Sendable {
    public static let defaultBodyLimit = 64 * 1024

    struct Route: Sendable {
        let method: String
        let segments: [Segment]
        let bodyLimit: Int
        let handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    enum Match {
        case found(Route, parameters: [String: String])
        case methodNotAllowed([String])
        case notFound
    }

    private(set) var routes: [Route] = []

    public init() {}

    /// Adds a route. `bodyLimit` bounds the request body this route accepts (413 above it).
    public mutating func add(
        _ method: String, _ pattern: String, bodyLimit: Int = Router.defaultBodyLimit, handler: @escaping Handler
    ) {
        let segments = pattern.split(separator: "/").map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        precondition(
            !routes.contains { $0.method == method && $0.segments == segments }, "route \(method) \(pattern) twice")
        routes.append(Route(method: method.uppercased(), segments: segments, bodyLimit: bodyLimit, handler: handler))
    }

    /// Every registered `(method, pattern)`, for documentation checks.
    public var patterns: [(method: String, pattern: String)] {
        routes.map { route in
            let path = route.segments.map { segment -> String in
                switch segment {
                case .literal(let text): return text
                case .parameter(let name): return "{\(name)}"
                }
            }
            return (route.method, "/" + path.joined(separator: "/"))
        }
    }

    func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [String] = []
        for route in routes where route.segments.count == parts.count {
            guard let parameters = Self.bind(route.segments, to: parts) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route, parameters: parameters)
            }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }

    private static func bind(_ segments: [Segment], to parts: [Substring]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text):
                if text != part { return nil }
            case .parameter(let name):
                guard let decoded = part.removingPercentEncoding, !decoded.isEmpty else { return nil }
                parameters[name] = decoded
            }
        }
        return parameters
    }
}

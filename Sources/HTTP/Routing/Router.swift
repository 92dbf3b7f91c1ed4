import Foundation

/// A request handler. It runs on the connection's event loop (its task prefers that loop as its
/// executor), so it must not block: await anything that waits.
public typealias Handler = @Sendable (Request) async throws -> Response

/// A handler that answers at once from what it holds (health checks, static files, documents
/// built at start-up): no I/O, no waiting. It runs inline on the loop with no task at all.
public typealias ImmediateHandler = @Sendable (Request) throws -> Response

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
        /// Set for routes added with `addImmediate`; `handler` then wraps it.
        let immediate: ImmediateHandler?
    }

    enum Segment: Sendable, Equatable {
        case literal([UInt8])
        case parameter(String)
    }

    /// Paths deeper than this match no route.
    static let maxSegments = 32

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
        add(method, pattern, bodyLimit: bodyLimit, handler: handler, immediate: nil)
    }

    /// Adds a route whose handler answers without waiting for anything: it is called directly on
    /// the loop, saving the task every other request costs (a third of a small request's CPU).
    public mutating func addImmediate(
        _ method: String, _ pattern: String, bodyLimit: Int = Router.defaultBodyLimit,
        handler: @escaping ImmediateHandler
    ) {
        add(method, pattern, bodyLimit: bodyLimit, handler: { try handler($0) }, immediate: handler)
    }

    private mutating func add(
        _ method: String, _ pattern: String, bodyLimit: Int, handler: @escaping Handler, immediate: ImmediateHandler?
    ) {
        let segments = pattern.split(separator: "/").map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(Array(part.utf8))
        }
        precondition(
            !routes.contains { $0.method == method && $0.segments == segments }, "route \(method) \(pattern) twice")
        routes.append(
            Route(
                method: method.uppercased(), segments: segments, bodyLimit: bodyLimit, handler: handler,
                immediate: immediate))
    }

    /// Every registered `(method, pattern)`, for documentation checks.
    public var patterns: [(method: String, pattern: String)] {
        routes.map { route in
            let path = route.segments.map { segment -> String in
                switch segment {
                case .literal(let bytes): return String(decoding: bytes, as: UTF8.self)
                case .parameter(let name): return "{\(name)}"
                }
            }
            return (route.method, "/" + path.joined(separator: "/"))
        }
    }

    /// Matches a request target (path and optional query) without allocating on the way: the
    /// path is split into byte ranges on the stack and compared with each route's segments.
    func match(method: String, target: String) -> Match {
        var target = target
        return target.withUTF8 { bytes in
            let end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
            return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: Self.maxSegments) { ranges in
                var count = 0
                var start = 0
                for i in 0...end where i == end || bytes[i] == UInt8(ascii: "/") {
                    if i > start {
                        guard count < Self.maxSegments else { return .notFound }
                        ranges[count] = start..<i
                        count += 1
                    }
                    start = i + 1
                }
                return match(method: method, bytes: bytes, segments: UnsafeBufferPointer(rebasing: ranges[0..<count]))
            }
        }
    }

    private func match(method: String, bytes: UnsafeBufferPointer<UInt8>, segments: UnsafeBufferPointer<Range<Int>>)
        -> Match
    {
        var allowed: [String] = []
        for route in routes where route.segments.count == segments.count {
            guard let parameters = Self.bind(route.segments, bytes: bytes, to: segments) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route, parameters: parameters)
            }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }

    private static func bind(
        _ segments: [Segment], bytes: UnsafeBufferPointer<UInt8>, to ranges: UnsafeBufferPointer<Range<Int>>
    ) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (segment, range) in zip(segments, ranges) {
            let part = UnsafeBufferPointer(rebasing: bytes[range])
            switch segment {
            case .literal(let literal):
                if !literal.elementsEqual(part) { return nil }
            case .parameter(let name):
                guard let decoded = String(decoding: part, as: UTF8.self).removingPercentEncoding, !decoded.isEmpty
                else { return nil }
                parameters[name] = decoded
            }
        }
        return parameters
    }
}

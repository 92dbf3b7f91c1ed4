import HTTP

/// Serves the console: `/` (the page shell, revalidated on every load) and its fingerprinted
/// assets (cached for a year). Every answer carries the console's security headers; the page
/// itself gets a strict Content-Security-Policy: scripts, styles and connections from this
/// origin only, no inline script or style, no framing.
public enum ConsoleRoutes {
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
        "connect-src 'self'", "manifest-src 'self'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'", "object-src 'none'",
    ].joined(separator: "; ")

    static let securityHeaders: HTTPHeaders = [
        "content-security-policy": contentSecurityPolicy,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "strict-transport-security": "max-age=31536000",
    ]

    /// Registers the console's routes and returns their patterns (they are not API operations,
    /// so the OpenAPI document leaves them out). With no assets, `/` explains what is missing.
    @discardableResult
    public static func register(on router: inout Router, assets: ConsoleAssets?) -> [String] {
        guard let assets else {
            router.addImmediate("GET", "/") { _ in
                throw HTTPError.unavailable(
                    "The console's files were not found: set --web-dir (PALISADE_WEB_DIR) to Palisade's Web directory.")
            }
            return ["/"]
        }
        let page = response(assets.index, type: "text/html; charset=utf-8", cache: "no-cache")
        router.addImmediate("GET", "/") { _ in page }
        var patterns = ["/"]
        for (name, file) in assets.files {
            let path = "/assets/\(assets.fingerprint)/\(name)"
            let asset = response(file.bytes, type: file.contentType, cache: "public, max-age=31536000, immutable")
            router.addImmediate("GET", path) { _ in asset }
            patterns.append(path)
        }
        return patterns
    }

    private static func response(_ bytes: [UInt8], type: String, cache: String) -> Response {
        var headers = securityHeaders
        headers.replaceOrAdd(name: "content-type", value: type)
        headers.replaceOrAdd(name: "cache-control", value: cache)
        return Response(status: 200, headers: headers, body: .bytes(bytes))
    }
}

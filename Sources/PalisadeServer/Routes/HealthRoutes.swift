import HTTP

/// Liveness: answers as long as the process serves HTTP at all.
enum HealthRoutes {
    static func register(on router: inout Router) {
        // Built once: answering costs no allocation beyond the request's own.
        let ok = Response(
            status: 200, headers: ["content-type": "application/json", "cache-control": "no-store"],
            body: .bytes(Array(#"{"status":"ok"}"#.utf8)))
        router.addImmediate("GET", "/healthz") { _ in ok }
    }
}

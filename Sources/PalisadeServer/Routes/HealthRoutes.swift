import HTTP

/// Liveness: answers as long as the process serves HTTP at all.
enum HealthRoutes {
    static func register(on router: inout Router) {
        let ok = Array(#"{"status":"ok"}"#.utf8)
        router.add("GET", "/healthz") { _ in
            Response(
                status: 200, headers: ["content-type": "application/json", "cache-control": "no-store"],
                body: .bytes(ok))
        }
    }
}

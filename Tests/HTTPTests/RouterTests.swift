import Testing

@testable import HTTP

@Suite("Router")
struct RouterTests {
    let router: Router = {
        var router = Router()
        router.add("GET", "/v1/groups") { _ in .text("list") }
        router.add("POST", "/v1/groups", bodyLimit: 1024) { _ in .text("create") }
        router.add("GET", "/v1/groups/{name}") { request in .text(request.pathParameters["name"] ?? "") }
        router.add("GET", "/v1/groups/{name}/process-profile") { _ in .text("profile") }
        return router
    }()

    @Test("literal and parameter segments match; parameters are percent-decoded")
    func matching() {
        guard case .found(let route, let parameters) = router.match(method: "GET", target: "/v1/groups/web%20tier")
        else {
            Issue.record("no match")
            return
        }
        #expect(parameters == ["name": "web tier"])
        #expect(route.bodyLimit == Router.defaultBodyLimit)
        guard case .found(let post, _) = router.match(method: "POST", target: "/v1/groups") else {
            Issue.record("no match")
            return
        }
        #expect(post.bodyLimit == 1024)
        if case .found = router.match(method: "GET", target: "/v1/groups/a/process-profile") {
        } else {
            Issue.record("nested route did not match")
        }
    }

    @Test("a known path with another method is 405 with the allowed methods; unknown paths are 404")
    func misses() {
        guard case .methodNotAllowed(let allowed) = router.match(method: "DELETE", target: "/v1/groups") else {
            Issue.record("expected 405")
            return
        }
        #expect(Set(allowed) == ["GET", "POST"])
        if case .notFound = router.match(method: "GET", target: "/v1/nothing") {} else { Issue.record("expected 404") }
        if case .notFound = router.match(method: "GET", target: "/v1/groups/a/b/c") {
        } else {
            Issue.record("expected 404")
        }
    }

    @Test("HEAD is served by the GET route")
    func head() {
        if case .found(let route, _) = router.match(method: "HEAD", target: "/v1/groups") {
            #expect(route.method == "GET")
        } else {
            Issue.record("HEAD did not match GET")
        }
    }

    @Test("patterns round-trip for documentation checks")
    func patterns() {
        #expect(router.patterns.map { "\($0.method) \($0.pattern)" }.contains("GET /v1/groups/{name}/process-profile"))
    }

    @Test("query strings decode plus and percent escapes, and stop at 64 parameters")
    func query() {
        let request = Request(id: "1", method: "GET", target: "/x?a=1&b=two+words&c=%2Fslash&flag", headers: [:])
        #expect(request.path == "/x")
        #expect(request.query["b"] == "two words" && request.query["c"] == "/slash" && request.query["flag"] == "")
        let many = (0..<100).map { "k\($0)=v" }.joined(separator: "&")
        #expect(Request(id: "1", method: "GET", target: "/x?" + many, headers: [:]).query.items.count == 64)
    }
}

import HTTP

/// `/v1/openapi.json`, built from the endpoint list and `Components`, so every routed
/// operation is documented with the schema the server actually enforces.
enum OpenAPIDocument {
    /// Routes outside the API module that belong to the public contract.
    static let operational: [(path: String, summary: String, status: String)] = [
        ("/healthz", "Liveness: 200 while the process serves HTTP", "ok"),
        ("/readyz", "Readiness: 200 when the database answers and migrations are applied", "ready"),
    ]

    static func build(_ endpoints: [Endpoint]) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for endpoint in endpoints {
            paths[endpoint.path, default: [:]][endpoint.method.lowercased()] = operation(endpoint)
        }
        paths["/v1/openapi.json"] = ["get": openAPIOperation]
        for route in operational {
            paths[route.path] = [
                "get": [
                    "operationId": .string("get_" + route.path.dropFirst()), "summary": .string(route.summary),
                    "tags": ["Operations"], "security": [],
                    "responses": [
                        "200": content(.ref("Status"), type: "application/json", description: "Status"),
                        "503": problem("Not ready"), "default": problem("Any other error"),
                    ],
                ]
            ]
        }
        var schemas: [String: JSONValue] = [:]
        for (name, schema) in Components.all { schemas[name] = schema.json }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Palisade REST API", "version": "1.0.0",
                "description": """
                Central management of Palisade: policy, inventory, events and audit. Every call but sign-in, \
                the health checks and this document needs 'Authorization: Bearer <session token or API key>'. \
                Errors are RFC 9457 problem+json with a stable 'code'. Lists are keyset-paginated with \
                'limit' and 'cursor' and answer {items, next_cursor}.
                """,
            ],
            "servers": [["url": "/"]],
            "security": [["bearer": []]],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": [
                    "bearer": [
                        "type": "http", "scheme": "bearer",
                        "description": "A session token from POST /v1/auth/login, or an API key secret.",
                    ]
                ],
            ],
        ]
    }

    static func endpoint(serving document: JSONValue) -> Endpoint {
        let body = (try? JSONCoding.encode(document)) ?? []
        return Endpoint(
            "GET", "/v1/openapi.json", .anonymous, "This OpenAPI 3.1 document", tag: "Operations",
            response: .ref("OpenAPI")
        ) { _ in
            Response(
                status: 200, headers: ["content-type": "application/json", "cache-control": "max-age=300"],
                body: .bytes(body))
        }
    }

    private static let openAPIOperation: JSONValue = [
        "operationId": "get_v1_openapi_json", "summary": "This OpenAPI 3.1 document", "tags": ["Operations"],
        "security": [], "responses": ["200": ["description": "The document", "content": ["application/json": [:]]]],
    ]

    private static func operation(_ endpoint: Endpoint) -> JSONValue {
        var parameters: [JSONValue] = endpoint.path.split(separator: "/")
            .filter { $0.hasPrefix("{") }
            .map { segment in
                [
                    "name": .string(String(segment.dropFirst().dropLast())), "in": "path", "required": true,
                    "schema": ["type": "string", "minLength": 1, "maxLength": 256],
                ]
            }
        for parameter in endpoint.query {
            parameters.append([
                "name": .string(parameter.name), "in": "query", "required": false,
                "description": .string(parameter.description), "schema": parameter.schema.json,
            ])
        }
        if endpoint.isConditional {
            parameters.append([
                "name": "If-Match", "in": "header", "required": false,
                "description": "Apply only if the resource still has this ETag (else 412).",
                "schema": ["type": "string", "maxLength": .integer(Int64(ETag.maximumHeaderLength))],
            ])
        }
        if endpoint.method == "POST" {
            parameters.append([
                "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "Repeats with the same key and request replay the first answer for 24 hours.",
                "schema": [
                    "type": "string", "minLength": 1, "maxLength": .integer(Int64(Idempotency.maximumKeyLength)),
                ],
            ])
        }
        var responses: [String: JSONValue] = [
            "400": problem("Malformed request or invalid field"),
            "404": problem("No such resource"),
            "default": problem("Any other error"),
        ]
        responses[String(endpoint.status)] =
            endpoint.response.map {
                content($0, type: endpoint.responseContentType, description: endpoint.summary)
            } ?? ["description": "Done"]
        if case .role = endpoint.access {
            responses["401"] = problem("Missing, expired or revoked credentials")
            responses["403"] = problem("The caller's role does not allow this")
        }
        if endpoint.isWrite {
            responses["409"] = problem("Conflicts with the current state")
            responses["412"] = problem("If-Match did not match the current ETag")
            responses["413"] = problem("Body larger than this operation accepts")
            responses["422"] = problem("Idempotency-Key reused for a different request")
        }
        if endpoint.path == "/v1/auth/login" { responses["429"] = problem("Too many failed sign-ins") }
        var operation: [String: JSONValue] = [
            "operationId": .string(endpoint.operationID), "summary": .string(endpoint.summary),
            "tags": [.string(endpoint.tag)], "parameters": .array(parameters), "responses": .object(responses),
        ]
        if endpoint.access == .anonymous { operation["security"] = [] }
        if let body = endpoint.body {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": body.json]]]
        }
        return .object(operation)
    }

    private static func content(_ schema: Schema, type: String, description: String) -> JSONValue {
        ["description": .string(description), "content": .object([type: ["schema": schema.json]])]
    }

    private static func problem(_ description: String) -> JSONValue {
        [
            "description": .string(description),
            "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
        ]
    }
}

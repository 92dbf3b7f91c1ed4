import Domain
import Foundation
import HTTP
import Storage

/// `/v1/hosts` and `/v1/workloads`: what enforcers reported, read-only here.
enum InventoryRoutes {
    struct Host: Encodable, Sendable {
        let id: String
        let name: String
        let facts: JSONValue
        let firstSeenAt: Date
        let lastSeenAt: Date
        let workloadCount: Int

        enum CodingKeys: String, CodingKey {
            case id, name, facts
            case firstSeenAt = "first_seen_at"
            case lastSeenAt = "last_seen_at"
            case workloadCount = "workload_count"
        }

        init(_ row: PostgresRow) throws {
            id = try row.decode(String.self, "id")
            name = try row.decode(String.self, "name")
            facts = try row.decodeJSON(JSONValue.self, "facts")
            firstSeenAt = try row.decode(Date.self, "first_seen_at")
            lastSeenAt = try row.decode(Date.self, "last_seen_at")
            workloadCount = try row.decode(Int.self, "workload_count")
        }
    }

    struct Workload: Encodable, Sendable {
        let id: String
        let hostID: String
        let name: String
        let namespace: String
        let labels: [String: String]
        let image: String
        let addresses: [String]
        @Nullable var service: String?
        let groups: [String]
        @Nullable var policyMode: PolicyMode?
        let firstSeenAt: Date
        let lastSeenAt: Date

        enum CodingKeys: String, CodingKey {
            case id, name, namespace, labels, image, addresses, service, groups
            case hostID = "host_id"
            case policyMode = "policy_mode"
            case firstSeenAt = "first_seen_at"
            case lastSeenAt = "last_seen_at"
        }

        init(_ row: PostgresRow) throws {
            id = try row.decode(String.self, "id")
            hostID = try row.decode(String.self, "host_id")
            name = try row.decode(String.self, "name")
            namespace = try row.decode(String.self, "namespace")
            labels = try row.decodeJSON([String: String].self, "labels")
            image = try row.decode(String.self, "image")
            addresses = try row.decodeJSON([String].self, "addresses")
            service = try row.decode(String?.self, "service")
            groups = try row.decodeJSON([String].self, "groups")
            policyMode = try row.decode(String?.self, "policy_mode").flatMap(PolicyMode.init(rawValue:))
            firstSeenAt = try row.decode(Date.self, "first_seen_at")
            lastSeenAt = try row.decode(Date.self, "last_seen_at")
        }
    }

    static let hostColumns = """
        h.id, h.name, h.facts::text AS facts, h.first_seen_at, h.last_seen_at,
        (SELECT count(*) FROM workloads w WHERE w.host_id = h.id) AS workload_count
        """

    /// A workload's policy mode is the strictest mode of its groups (protect > monitor > discover).
    static let workloadColumns = """
        w.id, w.host_id, w.name, w.namespace, w.labels::text AS labels, w.image,
        to_json(ARRAY(SELECT host(a) FROM unnest(w.addresses) a))::text AS addresses, w.service,
        to_json(ARRAY(SELECT m.group_name FROM group_members m WHERE m.workload_id = w.id ORDER BY 1))::text AS groups,
        (SELECT g.policy_mode FROM group_members m JOIN groups g ON g.name = m.group_name WHERE m.workload_id = w.id
         ORDER BY array_position(ARRAY['protect','monitor','discover'], g.policy_mode) LIMIT 1) AS policy_mode,
        w.first_seen_at, w.last_seen_at
        """

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/hosts", .role(.reader), "List hosts", tag: "Inventory", query: QueryParameter.paging,
                response: Components.list("Host")
            ) { request in
                let page = try request.page
                let after = try page.afterString()
                let rows = try await request.context.pool.query(
                    """
                    SELECT \(unsafeRaw: hostColumns) FROM hosts h WHERE (\(after)::text IS NULL OR h.id > \(after))
                    ORDER BY h.id LIMIT \(page.limit + 1)
                    """)
                return try .json(ListResponse(rows: try rows.map(Host.init), page: page) { [$0.id] })
            },
            Endpoint("GET", "/v1/hosts/{id}", .role(.reader), "Get a host", tag: "Inventory", response: .ref("Host")) {
                request in
                let id = request.parameter("id")
                guard
                    let row = try await request.context.pool.query(
                        "SELECT \(unsafeRaw: hostColumns) FROM hosts h WHERE h.id = \(id)"
                    ).first
                else { throw HTTPError.notFound("No host '\(id)'.") }
                return try .resource(try Host(row))
            },
            Endpoint(
                "GET", "/v1/workloads", .role(.reader), "List workloads with their groups", tag: "Inventory",
                query: QueryParameter.paging + [
                    QueryParameter("host", .string(maxLength: 256), "Only workloads on this host id."),
                    QueryParameter("namespace", .string(maxLength: 256), "Only this namespace."),
                    QueryParameter("group", Components.groupName, "Only members of this group."),
                ], response: Components.list("Workload"), handler: listWorkloads),
            Endpoint(
                "GET", "/v1/workloads/{id}", .role(.reader), "Get a workload", tag: "Inventory",
                response: .ref("Workload")
            ) { request in
                let id = request.parameter("id")
                guard
                    let row = try await request.context.pool.query(
                        "SELECT \(unsafeRaw: workloadColumns) FROM workloads w WHERE w.id = \(id)"
                    ).first
                else { throw HTTPError.notFound("No workload '\(id)'.") }
                return try .resource(try Workload(row))
            },
        ]
    }

    static func listWorkloads(_ request: APIRequest) async throws -> Response {
        let page = try request.page
        let after = try page.afterString()
        let group = request.query("group")
        let rows = try await request.context.pool.query(
            """
            SELECT \(unsafeRaw: workloadColumns) FROM workloads w
            WHERE (\(after)::text IS NULL OR w.id > \(after))
              AND (\(request.query("host"))::text IS NULL OR w.host_id = \(request.query("host")))
              AND (\(request.query("namespace"))::text IS NULL OR w.namespace = \(request.query("namespace")))
              AND (\(group)::text IS NULL OR EXISTS (SELECT 1 FROM group_members m
                                                   WHERE m.workload_id = w.id AND m.group_name = \(group)))
            ORDER BY w.id LIMIT \(page.limit + 1)
            """)
        return try .json(ListResponse(rows: try rows.map(Workload.init), page: page) { [$0.id] })
    }
}

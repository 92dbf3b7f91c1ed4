import Domain
import Foundation
import HTTP
import Storage

/// `/v1/topology`: who talks to whom. Nodes are workloads (or their groups), edges are the
/// conversations enforcers reported, folded per pair with ports, applications, bytes, sessions,
/// last action and last seen. Addresses outside any workload appear as `address` nodes.
enum TopologyRoutes {
    static let maximumNodes = 5_000
    static let maximumEdges = 20_000

    struct Node: Encodable, Sendable {
        let id: String
        let kind: String
        let name: String
        @Nullable var group: String?
        @Nullable var namespace: String?
        @Nullable var policyMode: String?

        enum CodingKeys: String, CodingKey {
            case id, kind, name, group, namespace
            case policyMode = "policy_mode"
        }
    }

    struct Edge: Encodable, Sendable {
        var from: String
        var to: String
        var ports: [String]
        var applications: [String]
        var bytes: Int64
        var sessions: Int64
        @Nullable var lastAction: String?
        var lastSeenAt: Date

        enum CodingKeys: String, CodingKey {
            case from, to, ports, applications, bytes, sessions
            case lastAction = "last_action"
            case lastSeenAt = "last_seen_at"
        }
    }

    struct Topology: Encodable, Sendable {
        let nodes: [Node]
        let edges: [Edge]
        let truncated: Bool
    }

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/topology", .role(.reader), "Workloads or groups and the conversations between them",
                tag: "Observation",
                query: [
                    QueryParameter(
                        "view", .enumeration(["workloads", "groups"]), "Node granularity (default workloads)."),
                    QueryParameter("group", Components.groupName, "Only conversations touching this group's members."),
                    QueryParameter("namespace", .string(maxLength: 256), "Only conversations touching this namespace."),
                    QueryParameter("since", .timestamp, "Only conversations seen since (default: 24 hours ago)."),
                ], response: .ref("Topology"), handler: topology)
        ]
    }

    static func topology(_ request: APIRequest) async throws -> Response {
        let since = request.queryDate("since") ?? Date().addingTimeInterval(-86_400)
        let byGroup = request.query("view") == "groups"
        let (workloads, conversations) = try await request.context.pool.withConnection { connection in
            let workloads = try await connection.query(
                """
                SELECT w.id, w.name, w.namespace,
                       (SELECT m.group_name FROM group_members m JOIN groups g ON g.name = m.group_name
                        WHERE m.workload_id = w.id ORDER BY g.learned DESC, m.group_name LIMIT 1) AS primary_group,
                       to_json(ARRAY(SELECT m.group_name FROM group_members m WHERE m.workload_id = w.id))::text AS groups,
                       (SELECT g.policy_mode FROM group_members m JOIN groups g ON g.name = m.group_name
                        WHERE m.workload_id = w.id
                        ORDER BY array_position(ARRAY['protect','monitor','discover'], g.policy_mode) LIMIT 1) AS policy_mode
                FROM workloads w
                """)
            let conversations = try await connection.query(
                """
                SELECT source_id, destination_id, protocol, port, application, bytes, sessions, last_action,
                       last_seen_at
                FROM conversations WHERE last_seen_at >= \(since)
                ORDER BY last_seen_at DESC LIMIT \(maximumEdges * 4)
                """)
            return (workloads, conversations)
        }
        struct Known {
            let node: Node
            let groups: Set<String>
        }
        var known: [String: Known] = [:]
        for row in workloads {
            let id = try row.decode(String.self, "id")
            let group = try row.decode(String?.self, "primary_group")
            known[id] = Known(
                node: Node(
                    id: id, kind: "workload", name: try row.decode(String.self, "name"), group: group,
                    namespace: try row.decode(String.self, "namespace"),
                    policyMode: try row.decode(String?.self, "policy_mode")),
                groups: Set(try row.decodeJSON([String].self, "groups")))
        }
        let group = request.query("group")
        let namespace = request.query("namespace")
        func selected(_ id: String) -> Bool {
            guard let workload = known[id] else { return false }
            if let group, !workload.groups.contains(group) { return false }
            if let namespace, workload.node.namespace != namespace { return false }
            return true
        }
        func node(for id: String) -> Node {
            guard let workload = known[id] else {
                return Node(id: id, kind: "address", name: id, group: nil, namespace: nil, policyMode: nil)
            }
            guard byGroup, let group = workload.node.group else { return workload.node }
            return Node(
                id: "group:" + group, kind: "group", name: group, group: group, namespace: nil,
                policyMode: workload.node.policyMode)
        }
        var edges: [String: Edge] = [:]
        var order: [String] = []
        var nodes: [String: Node] = [:]
        let filtered = group != nil || namespace != nil
        for row in conversations {
            let source = try row.decode(String.self, "source_id")
            let destination = try row.decode(String.self, "destination_id")
            if filtered && !selected(source) && !selected(destination) { continue }
            let from = node(for: source)
            let to = node(for: destination)
            nodes[from.id] = from
            nodes[to.id] = to
            let key = from.id + "\u{0}" + to.id
            let port = "\(try row.decode(String.self, "protocol"))/\(try row.decode(Int.self, "port"))"
            let application = try row.decode(String.self, "application")
            let seen = try row.decode(Date.self, "last_seen_at")
            var edge =
                edges[key]
                ?? {
                    order.append(key)
                    return Edge(
                        from: from.id, to: to.id, ports: [], applications: [], bytes: 0, sessions: 0, lastAction: nil,
                        lastSeenAt: seen)
                }()
            if !edge.ports.contains(port) { edge.ports.append(port) }
            if !application.isEmpty && !edge.applications.contains(application) {
                edge.applications.append(application)
            }
            edge.bytes += try row.decode(Int64.self, "bytes")
            edge.sessions += try row.decode(Int64.self, "sessions")
            if seen >= edge.lastSeenAt || edge.lastAction == nil {
                edge.lastAction = try row.decode(String?.self, "last_action") ?? edge.lastAction
                edge.lastSeenAt = max(seen, edge.lastSeenAt)
            }
            edges[key] = edge
        }
        // Workloads without conversations still appear, so the map shows the whole inventory.
        for id in known.keys.sorted() where !filtered || selected(id) {
            let candidate = node(for: id)
            if nodes[candidate.id] == nil { nodes[candidate.id] = candidate }
        }
        let sortedNodes = nodes.values.sorted { $0.id < $1.id }
        let truncated = sortedNodes.count > maximumNodes || order.count > maximumEdges
        let shownNodes = Array(sortedNodes.prefix(maximumNodes))
        let shown = Set(shownNodes.map(\.id))
        let shownEdges = order.prefix(maximumEdges).compactMap { edges[$0] }.filter {
            shown.contains($0.from) && shown.contains($0.to)
        }.map { edge in
            var sorted = edge
            sorted.ports.sort()
            sorted.applications.sort()
            return sorted
        }
        return try .json(Topology(nodes: shownNodes, edges: shownEdges, truncated: truncated))
    }
}

import Domain
import Foundation
import HTTP
import Storage

/// `PUT /v1/enforcer/inventory`: the node's host facts and the full list of its workloads.
/// Palisade upserts them, removes the vanished ones, creates a learned service group per
/// service (`nv.<service>.<namespace>`), recomputes the workloads' memberships, and bumps the
/// policy revision when any of that changes what rule sets say.
enum InventoryRoute {
    static let maximumWorkloads = 2_000

    struct Inventory: Decodable {
        struct Host: Decodable {
            let id: String
            let name: String
            let facts: [String: String]?
        }

        struct Workload: Codable {
            let id: String
            let name: String
            let namespace: String?
            let labels: [String: String]?
            let image: String?
            let addresses: [String]?
            let service: String?
        }

        let host: Host
        let version: String?
        let workloads: [Workload]
    }

    struct Answer: Encodable {
        let workloads: Int
        let revision: Int64
    }

    static func register(on router: inout Router, channel: EnforcerChannel) {
        router.add("PUT", "/v1/enforcer/inventory", bodyLimit: 4 << 20) { request in
            try await channel.authenticated(request) { identity in
                try await update(request, identity, channel)
            }
        }
    }

    static func update(_ request: Request, _ identity: EnforcerIdentity, _ channel: EnforcerChannel) async throws
        -> Response
    {
        let inventory = try ChannelComponents.validator.decode(
            Inventory.self, from: request.body, schema: .ref("Inventory"))
        let facts = try validate(inventory)
        let answer = try await channel.pool.withTransaction { connection in
            try await PolicyRevision.lock(connection)
            try await claimHost(inventory.host, version: inventory.version, identity, connection)
            try await refuseForeignWorkloads(facts.map(\.id), hostID: inventory.host.id, connection)
            let before = try await WorkloadStore.facts(connection, enforcer: identity.id)
            let membershipsBefore = try await GroupStore.memberships(connection)
            let createdGroups = try await ensureServiceGroups(for: facts, connection)
            try await store(facts, hostID: inventory.host.id, identity, connection)
            // Read back, so addresses compare in PostgreSQL's spelling on both sides.
            let after = try await WorkloadStore.facts(connection, enforcer: identity.id)
            let groups = try await GroupStore.all(connection)
            try await GroupStore.recomputeMemberships(of: after, groups: groups, connection)
            // A new service group may also hold workloads other nodes reported.
            try await GroupStore.recomputeMembers(of: createdGroups, connection)
            let membershipsAfter = try await GroupStore.memberships(connection)
            let changed = !createdGroups.isEmpty || before != after || membershipsBefore != membershipsAfter
            let revision =
                changed ? try await PolicyRevision.bump(connection) : try await PolicyRevision.current(connection)
            return Answer(workloads: facts.count, revision: revision)
        }
        return try .json(answer)
    }

    /// Checks what the schema cannot: identifiers are literal tokens, addresses are addresses.
    static func validate(_ inventory: Inventory) throws(HTTPError) -> [WorkloadFacts] {
        var seen = Set<String>()
        return try inventory.workloads.enumerated().map { (index, workload) throws(HTTPError) in
            let field = "workloads[\(index)]"
            for (name, value) in [("id", workload.id), ("namespace", workload.namespace ?? "default")]
            where !Token.isLiteralValue(value) {
                throw .invalidField("\(field).\(name)", "must be letters, digits and ._:/@=-")
            }
            if let service = workload.service, !Token.isLiteralValue(service) {
                throw .invalidField("\(field).service", "must be letters, digits and ._:/@=-")
            }
            guard seen.insert(workload.id).inserted else { throw .invalidField("\(field).id", "repeats an earlier id") }
            for (position, address) in (workload.addresses ?? []).enumerated() {
                guard let network = IPNetwork(address), network.prefixLength == network.bytes.count * 8 else {
                    throw .invalidField("\(field).addresses[\(position)]", "must be an IP address")
                }
            }
            return WorkloadFacts(
                id: workload.id, name: workload.name, namespace: workload.namespace ?? "default",
                labels: workload.labels ?? [:], image: workload.image ?? "",
                addresses: (workload.addresses ?? []).compactMap { IPNetwork($0)?.description },
                service: workload.service)
        }
    }

    /// The host must carry the name this enforcer enrolled with (its certificate's CN, set by an
    /// admin-issued join token). A host another enforcer held passes to the newer enrollment:
    /// that is a reinstalled node, and the old enforcer loses it.
    private static func claimHost(
        _ host: Inventory.Host, version: String?, _ identity: EnforcerIdentity, _ connection: PostgresConnection
    ) async throws {
        guard host.name == identity.hostname else {
            throw HTTPError.forbidden(
                "This enforcer enrolled as '\(identity.hostname)' and may report only that host, not '\(host.name)'.")
        }
        let existing = try await connection.query("SELECT name FROM hosts WHERE id = \(host.id)").first
        if let existing, try existing.decode(String.self, "name") != host.name {
            throw HTTPError.conflict("Host '\(host.id)' is registered under another name.")
        }
        _ = try await connection.query(
            "UPDATE enforcers SET host_id = NULL WHERE host_id = \(host.id) AND id <> \(identity.id)")
        _ = try await connection.query(
            """
            INSERT INTO hosts (id, name, facts) VALUES (\(host.id), \(host.name), \(try SQLJSON.text(host.facts ?? [:]))::jsonb)
            ON CONFLICT (id) DO UPDATE SET facts = EXCLUDED.facts, last_seen_at = now()
            """)
        _ = try await connection.query(
            "UPDATE enforcers SET host_id = \(host.id), version = coalesce(\(version), version) WHERE id = \(identity.id)"
        )
    }

    /// Workloads another host reported stay that host's.
    private static func refuseForeignWorkloads(
        _ ids: [String], hostID: String, _ connection: PostgresConnection
    ) async throws {
        guard !ids.isEmpty else { return }
        let foreign = try await connection.query(
            """
            SELECT w.id FROM workloads w
            WHERE w.id IN (SELECT jsonb_array_elements_text(\(try SQLJSON.text(ids))::jsonb)) AND w.host_id <> \(hostID)
            LIMIT 5
            """
        ).map { try $0.decode(String.self, "id") }
        guard foreign.isEmpty else {
            throw HTTPError.conflict("Workloads \(foreign.joined(separator: ", ")) belong to another host.")
        }
    }

    /// Upserts the reported workloads and removes this enforcer's vanished ones.
    private static func store(
        _ facts: [WorkloadFacts], hostID: String, _ identity: EnforcerIdentity, _ connection: PostgresConnection
    ) async throws {
        let rows = facts.map { workload in
            Inventory.Workload(
                id: workload.id, name: workload.name, namespace: workload.namespace, labels: workload.labels,
                image: workload.image, addresses: workload.addresses, service: workload.service)
        }
        _ = try await connection.query(
            """
            DELETE FROM workloads WHERE (enforcer_id = \(identity.id) OR host_id = \(hostID))
              AND id NOT IN (SELECT jsonb_array_elements_text(\(try SQLJSON.text(facts.map(\.id)))::jsonb))
            """)
        guard !rows.isEmpty else { return }
        _ = try await connection.query(
            """
            INSERT INTO workloads (id, host_id, enforcer_id, name, namespace, labels, image, addresses, service)
            SELECT w->>'id', \(hostID), \(identity.id), w->>'name', w->>'namespace', w->'labels', w->>'image',
                   ARRAY(SELECT jsonb_array_elements_text(w->'addresses')::inet), w->>'service'
            FROM jsonb_array_elements(\(try SQLJSON.text(rows))::jsonb) AS w
            ON CONFLICT (id) DO UPDATE SET host_id = EXCLUDED.host_id, enforcer_id = EXCLUDED.enforcer_id,
                name = EXCLUDED.name, namespace = EXCLUDED.namespace, labels = EXCLUDED.labels,
                image = EXCLUDED.image, addresses = EXCLUDED.addresses, service = EXCLUDED.service,
                last_seen_at = now()
            """)
    }

    /// One learned group per (service, namespace), as NeuVector's `nv.<service>.<namespace>`.
    /// Returns the groups it created.
    private static func ensureServiceGroups(for facts: [WorkloadFacts], _ connection: PostgresConnection)
        async throws -> [Group]
    {
        var groups: [String: Group] = [:]
        for workload in facts {
            guard let group = serviceGroup(of: workload) else { continue }
            groups[group.name] = group
        }
        var created: [Group] = []
        for group in groups.values.sorted(by: { $0.name < $1.name }) {
            let inserted = try await connection.query(
                """
                INSERT INTO groups (name, criteria, policy_mode, learned)
                VALUES (\(group.name), \(try SQLJSON.text(group.criteria))::jsonb, 'discover', true)
                ON CONFLICT (name) DO NOTHING RETURNING name
                """)
            if !inserted.isEmpty { created.append(group) }
        }
        return created
    }

    static func serviceGroup(of workload: WorkloadFacts) -> Group? {
        guard let service = workload.service else { return nil }
        let safe = { (text: String) in
            String(text.map { $0.isLetter || $0.isNumber || "._:-".contains($0) ? $0 : "-" })
        }
        let name = "nv.\(safe(service)).\(safe(workload.namespace))"
        guard Token.isGroupName(name) else { return nil }
        return Group(
            name: name,
            criteria: [
                Criterion(key: .service, op: .eq, value: service),
                Criterion(key: .namespace, op: .eq, value: workload.namespace),
            ], policyMode: .discover, learned: true)
    }
}

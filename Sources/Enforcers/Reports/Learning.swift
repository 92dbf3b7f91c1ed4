import Domain
import Foundation
import HTTP
import Storage

/// What unmatched traffic and unknown processes mean, by the policy mode of the workloads
/// involved (the strictest of the two ends for a connection):
/// - discover: learn: a learned rule between the ends' groups (ports merged, many ports become
///   `any`), a learned process profile entry;
/// - monitor: a violation event (action `alert`);
/// - protect: the enforcer blocked it; a violation event (action `deny`).
/// Connections to or from addresses outside any workload are not learned (rules to external
/// peers are written by people); in monitor and protect they still raise violations.
enum Learning {
    /// What a batch teaches: violation events (stored with the batch) and the rules and profile
    /// entries to learn (stored right after, under the policy lock, in their own transaction).
    struct Outcome: Sendable {
        var events: [IngestPlan.Event] = []
        var rules: [[String]: [String]] = [:]
        var processes: [ProcessEntry] = []

        var hasPolicy: Bool { !rules.isEmpty || !processes.isEmpty }
    }

    struct ProcessEntry: Sendable, Hashable {
        let group: String
        let name: String
        let path: String
        let user: String
    }

    /// Works out the outcome without touching the database.
    static func observe(_ plan: IngestPlan, snapshot: PolicySnapshot) -> Outcome {
        var outcome = Outcome()
        var learnedPorts: [[String]: [String]] = [:]
        for connection in plan.unmatched {
            let ends = [connection.source, connection.destination]
            let known = ends.filter { snapshot.workloads[$0] != nil }
            guard !known.isEmpty else { continue }
            let mode = snapshot.mode(of: known.flatMap { snapshot.groups(of: $0) })
            switch mode {
            case .discover:
                guard known.count == 2, let from = snapshot.primaryGroup(of: connection.source),
                    let to = snapshot.primaryGroup(of: connection.destination)
                else { continue }
                learnedPorts[[from, to], default: []].append(connection.port)
            case .monitor, .protect:
                if mode == .protect && connection.action != "deny" { continue }
                let workload = snapshot.workloads[connection.destination] != nil ? connection.destination : known[0]
                outcome.events.append(
                    IngestPlan.Event(
                        occurredAt: connection.occurredAt, kind: .networkViolation,
                        severity: mode == .protect ? .high : .medium, enforcer: plan.enforcer, host: plan.host,
                        workload: workload, group: snapshot.primaryGroup(of: workload), peer: connection.source,
                        action: mode == .protect ? "deny" : "alert",
                        summary:
                            "\(mode == .protect ? "blocked" : "unmatched") \(connection.port) from \(connection.source) to \(connection.destination)",
                        detail: ["port": .string(connection.port), "mode": .string(mode.rawValue)]))
            }
        }
        outcome.rules = learnedPorts
        for execution in plan.executions {
            guard snapshot.workloads[execution.workload] != nil else { continue }
            let groups = snapshot.groups(of: execution.workload)
            let allowed = groups.contains {
                snapshot.profileAllows($0, name: execution.name, path: execution.path, user: execution.user)
            }
            let mode = snapshot.mode(of: groups)
            if mode == .discover {
                guard !allowed, let group = snapshot.primaryGroup(of: execution.workload) else { continue }
                let entry = ProcessEntry(group: group, name: execution.name, path: execution.path, user: execution.user)
                if !outcome.processes.contains(entry) { outcome.processes.append(entry) }
            } else if !allowed || execution.action == "deny" {
                let blocked = mode == .protect
                outcome.events.append(
                    IngestPlan.Event(
                        occurredAt: execution.occurredAt, kind: .process, severity: blocked ? .high : .medium,
                        enforcer: plan.enforcer, host: plan.host, workload: execution.workload,
                        group: snapshot.primaryGroup(of: execution.workload), peer: nil,
                        action: blocked ? "deny" : "alert",
                        summary:
                            "\(blocked ? "blocked" : "unexpected") process \(execution.name) \(execution.path) in \(execution.workload)",
                        detail: [
                            "name": .string(execution.name), "path": .string(execution.path),
                            "user": .string(execution.user), "mode": .string(mode.rawValue),
                        ]))
            }
        }
        return outcome
    }

    /// Stores learned rules and profile entries; true when the policy changed (the caller bumps
    /// the revision in the same transaction).
    static func persist(_ outcome: Outcome, _ connection: PostgresConnection) async throws -> Bool {
        try await PolicyRevision.lock(connection)
        var changed = false
        for (pair, ports) in outcome.rules.sorted(by: { $0.key.joined(separator: " ") < $1.key.joined(separator: " ") })
        {
            if try await learnRule(from: pair[0], to: pair[1], ports: ports, connection) { changed = true }
        }
        for entry in outcome.processes {
            let inserted = try await connection.query(
                """
                INSERT INTO process_profiles (group_name, name, path, "user", action, learned)
                VALUES (\(entry.group), \(entry.name), \(entry.path), \(entry.user), 'allow', true)
                ON CONFLICT (group_name, name, path, "user") DO NOTHING RETURNING id
                """)
            if !inserted.isEmpty { changed = true }
        }
        return changed
    }

    /// Adds `ports` to the learned rule between two groups, or creates it at the end of the list.
    /// Returns whether anything changed.
    private static func learnRule(from: String, to: String, ports: [String], _ connection: PostgresConnection)
        async throws -> Bool
    {
        let existing = try await connection.query(
            """
            SELECT id, to_json(ports)::text AS ports FROM network_rules
            WHERE learned AND from_group = \(from) AND to_group = \(to) ORDER BY position LIMIT 1 FOR UPDATE
            """
        ).first
        let current = try existing?.decodeJSON([String].self, "ports") ?? []
        let merged = ports.reduce(current) { PortSpec.merge($0, adding: $1) }
        guard merged != current || existing == nil else { return false }
        if let existing {
            _ = try await connection.query(
                """
                UPDATE network_rules SET ports = ARRAY(SELECT jsonb_array_elements_text(\(try SQLJSON.text(merged))::jsonb)),
                    updated_at = now()
                WHERE id = \(try existing.decode(Int64.self, "id"))
                """)
        } else {
            let rule = RuleSpec(from: from, to: to, ports: merged, action: .allow, learned: true)
            _ = try await RuleStore.insert(rule, at: try await RuleStore.position(for: .end, connection), connection)
        }
        return true
    }
}

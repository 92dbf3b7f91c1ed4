import Domain
import Foundation
import HTTP

/// Synthetic nodes for `--simulate N`: node i runs frontend, api and db workloads (services
/// shared across nodes, so learned service groups span the fleet) and sees, every tick:
/// frontend(i-1) → api(i) tcp/8080, api(i) → db(i) tcp/5432, an outside client → frontend(i)
/// tcp/443, and its main processes. Once a db workload leaves discover mode, probes arrive too
/// (frontend → db tcp/22, a shell in db), so enforcement has something to block.
struct Simulation: Sendable {
    let nodes: Int

    struct Workload {
        let id: String
        let name: String
        let service: String
        let address: String
    }

    static let services = ["frontend", "api", "db"]

    func hostname(_ node: Int) -> String { "sim-node-\(node)" }

    func workloads(_ node: Int) -> [Workload] {
        Self.services.enumerated().map { index, service in
            Workload(
                id: "sim-\(node)-\(service)", name: "\(service)-\(node)", service: service,
                address: "10.\(200 + node / 250).\(node % 250).\(index + 1)")
        }
    }

    func inventory(_ node: Int) -> JSONValue {
        let workloads = workloads(node).map { workload -> JSONValue in
            [
                "id": .string(workload.id), "name": .string(workload.name), "namespace": "sim",
                "service": .string(workload.service), "image": .string("registry.sim/\(workload.service):1"),
                "labels": ["app": .string(workload.service)], "addresses": [.string(workload.address)],
            ]
        }
        return [
            "host": ["id": .string(hostname(node)), "name": .string(hostname(node)), "facts": ["simulated": "true"]],
            "version": "palisade-enforcer/1", "workloads": .array(workloads),
        ]
    }

    /// One tick of what node `node` observes, decided by the rule set it has.
    func tick(_ node: Int, ruleSet: RuleSet?) -> [JSONValue] {
        let local = workloads(node)
        let (frontend, api, db) = (local[0], local[1], local[2])
        let upstream = workloads((node + nodes - 1) % nodes)[0]
        var flows: [(Workload?, String, Workload, Int, String)] = [
            (upstream, upstream.address, api, 8080, "HTTP"), (api, api.address, db, 5432, "PostgreSQL"),
            (nil, "198.51.100.7", frontend, 443, "SSL"),
        ]
        let dbMode = ruleSet?.workloads.first { $0.id == db.id }?.policyMode ?? .discover
        if dbMode != .discover { flows.append((frontend, frontend.address, db, 22, "SSH")) }
        var reports: [JSONValue] = flows.map { source, sourceAddress, destination, port, application in
            let decision =
                ruleSet.map {
                    RuleEvaluator.decide(
                        $0, sourceAddress: sourceAddress, destinationAddress: destination.address,
                        destinationWorkload: destination.id, port: "tcp/\(port)")
                } ?? RuleEvaluator.Decision(action: "allow", ruleID: nil)
            var report: [String: JSONValue] = [
                "kind": "connection", "src": .string(source?.id ?? sourceAddress), "dst": .string(destination.id),
                "port": .integer(Int64(port)), "protocol": "tcp", "application": .string(application),
                "bytes": .integer(Int64(1_000 + port)), "sessions": 1, "action": .string(decision.action),
            ]
            if let rule = decision.ruleID { report["rule_id"] = .integer(rule) }
            return .object(report)
        }
        reports.append([
            "kind": "process", "workload": .string(api.id), "name": "api-server", "path": "/app/api-server",
        ])
        reports.append(
            [
                "kind": "process", "workload": .string(db.id), "name": "postgres", "path": "/usr/bin/postgres",
                "user": "postgres",
            ])
        if dbMode != .discover {
            reports.append([
                "kind": "process", "workload": .string(db.id), "name": "sh", "path": "/bin/sh", "user": "root",
                "action": .string(dbMode == .protect ? "deny" : "allow"),
            ])
        }
        return reports
    }
}

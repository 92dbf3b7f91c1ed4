import Domain
import Foundation

/// Workload facts as group criteria and rule sets see them.
public enum WorkloadStore {
    /// Every workload, or only those an enforcer reported.
    public static func facts(_ connection: PostgresConnection, enforcer: UUID? = nil) async throws -> [WorkloadFacts] {
        try await connection.query(
            """
            SELECT id, name, namespace, labels::text AS labels, image, service,
                   to_json(ARRAY(SELECT host(a) FROM unnest(addresses) a))::text AS addresses
            FROM workloads WHERE \(enforcer)::uuid IS NULL OR enforcer_id = \(enforcer)
            ORDER BY id
            """
        ).map { row in
            WorkloadFacts(
                id: try row.decode(String.self, "id"), name: try row.decode(String.self, "name"),
                namespace: try row.decode(String.self, "namespace"),
                labels: try row.decodeJSON([String: String].self, "labels"),
                image: try row.decode(String.self, "image"), addresses: try row.decodeJSON([String].self, "addresses"),
                service: try row.decode(String?.self, "service"))
        }
    }

    /// Which enforcer reported each workload (those without one are left out).
    public static func byEnforcer(_ connection: PostgresConnection) async throws -> [UUID: [String]] {
        var result: [UUID: [String]] = [:]
        for row in try await connection.query(
            "SELECT enforcer_id, id FROM workloads WHERE enforcer_id IS NOT NULL ORDER BY id")
        {
            result[try row.decode(UUID.self, "enforcer_id"), default: []].append(try row.decode(String.self, "id"))
        }
        return result
    }
}

import Domain

/// Workload facts as group criteria see them.
public enum WorkloadStore {
    public static func facts(_ connection: PostgresConnection) async throws -> [WorkloadFacts] {
        try await connection.query(
            """
            SELECT id, name, namespace, labels::text AS labels, image, to_json(addresses::text[])::text AS addresses
            FROM workloads
            """
        ).map { row in
            WorkloadFacts(
                id: try row.decode(String.self, "id"), name: try row.decode(String.self, "name"),
                namespace: try row.decode(String.self, "namespace"),
                labels: try row.decodeJSON([String: String].self, "labels"),
                image: try row.decode(String.self, "image"),
                addresses: try row.decodeJSON([String].self, "addresses").map {
                    $0.hasSuffix("/32") || $0.hasSuffix("/128") ? String($0.split(separator: "/")[0]) : $0
                })
        }
    }
}

import HTTP
import Storage

/// Readiness: 200 only when the database answers and every migration is applied.
enum ReadinessRoutes {
    static func register(on router: inout Router, database: Database) {
        let ready = Response(
            status: 200, headers: ["content-type": "application/json", "cache-control": "no-store"],
            body: .bytes(Array(#"{"status":"ready"}"#.utf8)))
        router.add("GET", "/readyz") { request in
            let current: Bool
            do {
                current = try await database.migrations.isCurrent(using: database.pool)
            } catch {
                throw HTTPError.unavailable("The database is not answering.")
            }
            guard current else { throw HTTPError.unavailable("Database migrations are pending.") }
            return ready
        }
    }
}

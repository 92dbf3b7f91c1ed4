import Domain
import Foundation
import Storage
import Synchronization

/// The policy snapshot of the current revision, loaded from PostgreSQL once per revision and
/// shared by every stream that compiles a node's rule set (10,000 streams, one load).
final class SnapshotCache: Sendable {
    struct Entry: Sendable {
        let snapshot: PolicySnapshot
        let workloadsByEnforcer: [UUID: [String]]
    }

    private let pool: PostgresPool
    private let state = Mutex<(entry: Entry?, loading: Task<Entry, any Error>?)>((nil, nil))

    init(pool: PostgresPool) { self.pool = pool }

    /// The snapshot at the database's current revision (loading it once if it is newer).
    func current() async throws -> Entry {
        let revision = try await pool.query("SELECT revision FROM policy_revision").first!.decode(
            Int64.self, "revision")
        let task: Task<Entry, any Error> = state.withLock { state in
            if let entry = state.entry, entry.snapshot.revision >= revision {
                return Task { entry }
            }
            if let loading = state.loading { return loading }
            let pool = self.pool
            let loading = Task { try await Self.load(pool) }
            state.loading = loading
            return loading
        }
        do {
            let entry = try await task.value
            state.withLock { state in
                if state.entry.map({ $0.snapshot.revision < entry.snapshot.revision }) ?? true { state.entry = entry }
                if state.loading == task { state.loading = nil }
            }
            return entry
        } catch {
            state.withLock { state in if state.loading == task { state.loading = nil } }
            throw error
        }
    }

    /// Everything rule sets are compiled from, read in one repeatable-read transaction so the
    /// parts agree with each other and with the revision.
    private static func load(_ pool: PostgresPool) async throws -> Entry {
        try await pool.withConnection { connection in
            _ = try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            do {
                let revision = try await PolicyRevision.current(connection)
                let groups = try await GroupStore.all(connection)
                let members = try await GroupStore.memberships(connection)
                let workloads = try await WorkloadStore.facts(connection)
                let rules = try await RuleStore.allStored(connection).map {
                    PolicySnapshot.StoredRule(id: $0.id, spec: $0.spec)
                }
                let profiles = Dictionary(
                    uniqueKeysWithValues: try await ProfileStore.all(connection).map { ($0.group, $0.items) })
                let byEnforcer = try await WorkloadStore.byEnforcer(connection)
                _ = try await connection.query("COMMIT")
                return Entry(
                    snapshot: PolicySnapshot(
                        revision: revision, groups: groups, members: members, workloads: workloads, rules: rules,
                        profiles: profiles),
                    workloadsByEnforcer: byEnforcer)
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }
}

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
        /// Compiled rule sets of this revision by node workload list: nodes running the same
        /// workloads (none, typically, while they start) share one compilation and one hash.
        let compiled = CompiledRuleSets()
    }

    final class CompiledRuleSets: Sendable {
        /// The rule set's hash and its whole NDJSON line, ready to write.
        typealias Compiled = (hash: String, line: [UInt8])
        private let entries = Mutex<[[String]: Compiled]>([:])

        func get(_ workloads: [String], compile: () throws -> Compiled) rethrows -> Compiled {
            if let hit = entries.withLock({ $0[workloads] }) { return hit }
            let compiled = try compile()
            entries.withLock { $0[workloads] = compiled }
            return compiled
        }
    }

    private let pool: PostgresPool
    private let state = Mutex<(entry: Entry?, loading: Task<Entry, any Error>?)>((nil, nil))

    init(pool: PostgresPool) { self.pool = pool }

    /// A snapshot at `revision` or later; without one, at the database's current revision.
    /// Loads at most once per revision however many streams ask at the same moment.
    func entry(atLeast wanted: Int64? = nil) async throws -> Entry {
        let revision: Int64
        if let wanted {
            revision = wanted
        } else {
            revision = try await pool.query("SELECT revision FROM policy_revision").first!.decode(
                Int64.self, "revision")
        }
        // A load already running may predate `revision`: then wait for it and load again.
        for _ in 0..<3 {
            let (cached, task): (Entry?, Task<Entry, any Error>?) = state.withLock { state in
                if let entry = state.entry, entry.snapshot.revision >= revision { return (entry, nil) }
                if let loading = state.loading { return (nil, loading) }
                let pool = self.pool
                let loading = Task { try await Self.load(pool) }
                state.loading = loading
                return (nil, loading)
            }
            if let cached { return cached }
            guard let task else { continue }
            do {
                let entry = try await task.value
                state.withLock { state in
                    if state.entry.map({ $0.snapshot.revision < entry.snapshot.revision }) ?? true {
                        state.entry = entry
                    }
                    if state.loading == task { state.loading = nil }
                }
                if entry.snapshot.revision >= revision { return entry }
            } catch {
                state.withLock { state in if state.loading == task { state.loading = nil } }
                throw error
            }
        }
        return try await Self.load(pool)
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

import Domain
import Foundation
import HTTP
import Storage

/// `/v1/dashboard`: the console's first screen in one call: events over time by severity and
/// kind, the most violating groups and workloads, enforcer health, policy mode coverage and
/// the risk score (formula in `RiskScore` and docs/API.md).
enum DashboardRoutes {
    struct Bucket: Encodable {
        let start: Date
        var bySeverity: [String: Int]
        var byKind: [String: Int]

        enum CodingKeys: String, CodingKey {
            case start
            case bySeverity = "by_severity"
            case byKind = "by_kind"
        }
    }

    struct Totals: Encodable {
        var bySeverity: [String: Int] = [:]
        var byKind: [String: Int] = [:]

        enum CodingKeys: String, CodingKey {
            case bySeverity = "by_severity"
            case byKind = "by_kind"
        }
    }

    struct Offender: Encodable {
        let id: String
        let name: String
        let violations: Int
    }

    struct Dashboard: Encodable {
        let since: Date
        let until: Date
        let bucketSeconds: Int
        let buckets: [Bucket]
        let totals: Totals
        let topGroups: [Offender]
        let topWorkloads: [Offender]
        let enforcers: [String: Int]
        let policyModes: [String: Int]
        let risk: RiskScore

        enum CodingKeys: String, CodingKey {
            case since, until, buckets, totals, enforcers, risk
            case bucketSeconds = "bucket_seconds"
            case topGroups = "top_groups"
            case topWorkloads = "top_workloads"
            case policyModes = "policy_modes"
        }
    }

    static let violationKinds = "('network_violation', 'process', 'file', 'threat')"
    static let maximumBuckets = 500

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/dashboard", .role(.reader), "Counts over time, top offenders, health, coverage and risk",
                tag: "Observation",
                query: [
                    QueryParameter("window_hours", .integer(minimum: 1, maximum: 720), "How far back (default 24)."),
                    QueryParameter("bucket_minutes", .integer(minimum: 5, maximum: 1440), "Bucket width (default 60)."),
                ], response: .ref("Dashboard"), handler: dashboard)
        ]
    }

    static func dashboard(_ request: APIRequest) async throws -> Response {
        let windowHours = request.queryInt("window_hours") ?? 24
        let bucketMinutes = request.queryInt("bucket_minutes") ?? 60
        guard windowHours * 60 / bucketMinutes <= maximumBuckets else {
            throw HTTPError.invalidField("bucket_minutes", "gives more than \(maximumBuckets) buckets for this window")
        }
        let bucketSeconds = bucketMinutes * 60
        let until = Date()
        let since = until.addingTimeInterval(-Double(windowHours * 3600))
        return try await request.context.pool.withConnection { connection in
            let counted = try await connection.query(
                """
                SELECT floor(extract(epoch FROM occurred_at - \(since)::timestamptz) / \(bucketSeconds))::int AS bucket,
                       kind, severity, count(*) AS n
                FROM events WHERE occurred_at >= \(since) AND occurred_at < \(until)
                GROUP BY 1, 2, 3
                """)
            let bucketCount = (windowHours * 3600 + bucketSeconds - 1) / bucketSeconds
            var buckets = (0..<bucketCount).map {
                Bucket(start: since.addingTimeInterval(Double($0 * bucketSeconds)), bySeverity: [:], byKind: [:])
            }
            var totals = Totals()
            var risk = RiskScore.Inputs()
            for row in counted {
                let index = min(max(0, try row.decode(Int.self, "bucket")), bucketCount - 1)
                let kind = try row.decode(String.self, "kind")
                let severity = try row.decode(String.self, "severity")
                let n = try row.decode(Int.self, "n")
                buckets[index].bySeverity[severity, default: 0] += n
                buckets[index].byKind[kind, default: 0] += n
                totals.bySeverity[severity, default: 0] += n
                totals.byKind[kind, default: 0] += n
                if kind == EventKind.networkViolation.rawValue || kind == EventKind.process.rawValue
                    || kind == EventKind.file.rawValue, let level = Severity(rawValue: severity)
                {
                    risk.violationsBySeverity[level, default: 0] += n
                }
                if kind == EventKind.threat.rawValue {
                    if severity == "high" || severity == "critical" {
                        risk.severeThreats += n
                    } else {
                        risk.otherThreats += n
                    }
                }
            }
            let topGroups = try await connection.query(
                """
                SELECT group_name AS id, group_name AS name, count(*) AS n FROM events
                WHERE occurred_at >= \(since) AND kind IN \(unsafeRaw: violationKinds) AND group_name IS NOT NULL
                GROUP BY group_name ORDER BY n DESC, group_name LIMIT 10
                """
            ).map {
                Offender(
                    id: try $0.decode(String.self, "id"), name: try $0.decode(String.self, "name"),
                    violations: try $0.decode(Int.self, "n"))
            }
            let topWorkloads = try await connection.query(
                """
                SELECT e.workload_id AS id, coalesce(w.name, e.workload_id) AS name, count(*) AS n FROM events e
                LEFT JOIN workloads w ON w.id = e.workload_id
                WHERE e.occurred_at >= \(since) AND e.kind IN \(unsafeRaw: violationKinds) AND e.workload_id IS NOT NULL
                GROUP BY e.workload_id, w.name ORDER BY n DESC, e.workload_id LIMIT 10
                """
            ).map {
                Offender(
                    id: try $0.decode(String.self, "id"), name: try $0.decode(String.self, "name"),
                    violations: try $0.decode(Int.self, "n"))
            }
            let enforcerRow = try await connection.query(
                """
                SELECT count(*) FILTER (WHERE revoked_at IS NULL AND last_seen_at > now() - make_interval(secs => \(EnforcerRoutes.connectedWithinSeconds))) AS connected,
                       count(*) FILTER (WHERE revoked_at IS NULL AND (last_seen_at IS NULL OR last_seen_at <= now() - make_interval(secs => \(EnforcerRoutes.connectedWithinSeconds)))) AS disconnected,
                       count(*) FILTER (WHERE revoked_at IS NOT NULL) AS revoked,
                       count(*) FILTER (WHERE revoked_at IS NULL AND applied_revision < (SELECT revision FROM policy_revision)) AS lagging
                FROM enforcers
                """
            ).first!
            var enforcers: [String: Int] = [:]
            for state in ["connected", "disconnected", "revoked", "lagging"] {
                enforcers[state] = try enforcerRow.decode(Int.self, state)
            }
            risk.enforcers = enforcers["connected"]! + enforcers["disconnected"]!
            risk.unhealthyEnforcers = enforcers["disconnected"]! + enforcers["lagging"]!
            let modes = try await connection.query(
                """
                SELECT coalesce((SELECT g.policy_mode FROM group_members m JOIN groups g ON g.name = m.group_name
                                 WHERE m.workload_id = w.id
                                 ORDER BY array_position(ARRAY['protect','monitor','discover'], g.policy_mode) LIMIT 1),
                                'unmanaged') AS mode, count(*) AS n
                FROM workloads w GROUP BY 1
                """)
            var policyModes = ["discover": 0, "monitor": 0, "protect": 0, "unmanaged": 0]
            for row in modes {
                let mode = try row.decode(String.self, "mode")
                let n = try row.decode(Int.self, "n")
                policyModes[mode] = n
                if let known = PolicyMode(rawValue: mode) {
                    risk.workloadsByMode[known] = n
                } else {
                    risk.unmanagedWorkloads = n
                }
            }
            return try .json(
                Dashboard(
                    since: since, until: until, bucketSeconds: bucketSeconds, buckets: buckets, totals: totals,
                    topGroups: topGroups, topWorkloads: topWorkloads, enforcers: enforcers, policyModes: policyModes,
                    risk: RiskScore(risk)))
        }
    }
}

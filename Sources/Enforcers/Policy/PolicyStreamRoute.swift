import Domain
import Foundation
import HTTP
import PKI
import Storage

/// `GET /v1/enforcer/policy?after=<revision>`: NDJSON that stays open. Lines:
/// - `{"type":"ruleset","revision","hash","ruleset"}`: first (unless `after` is current), then
///   whenever this node's rule set changes;
/// - `{"type":"current","revision","hash"}`: the revision moved but this node's rules did not;
/// - `{"type":"heartbeat","revision","hash"}`: every 15 s.
/// `POST /v1/enforcer/ack` records what the enforcer applied.
enum PolicyStreamRoute {
    struct Line: Encodable {
        let type: String
        let revision: Int64
        let hash: String?
        let ruleset: RuleSet?
    }

    struct Ack: Decodable {
        let revision: Int64
        let status: String
        let error: String?
    }

    static func register(on router: inout Router, channel: EnforcerChannel) {
        router.add("GET", "/v1/enforcer/policy") { request in
            try await channel.authenticated(request) { identity in try stream(request, identity, channel) }
        }
        router.add("POST", "/v1/enforcer/ack", bodyLimit: 8 * 1024) { request in
            try await channel.authenticated(request) { identity in try await ack(request, identity, channel) }
        }
    }

    static func stream(_ request: Request, _ identity: EnforcerIdentity, _ channel: EnforcerChannel) throws
        -> Response
    {
        let after: Int64
        if let text = request.query["after"] {
            guard let value = Int64(text), value >= 0 else {
                throw HTTPError.invalidField("after", "must be a revision number (0 or more)")
            }
            after = value
        } else {
            after = 0
        }
        for item in request.query.items where item.name != "after" {
            throw HTTPError.invalidField(item.name, "is not a query parameter of this operation")
        }
        return .streaming(contentType: "application/x-ndjson") { writer in
            let (key, signals) = channel.streams.open(identity.id)
            defer { channel.streams.remove(key) }
            /// This node's rule set at `revision` or later: its hash and its line, shared with
            /// every node running the same workloads.
            func compile(atLeast revision: Int64? = nil) async throws -> (revision: Int64, hash: String, line: [UInt8])
            {
                let entry = try await channel.snapshots.entry(atLeast: revision)
                let workloads = entry.workloadsByEnforcer[identity.id] ?? []
                let compiled = try entry.compiled.get(workloads) {
                    let ruleSet = entry.snapshot.ruleSet(forWorkloads: workloads)
                    let hash = Digest.sha256Hex(try JSONCoding.encode(ruleSet))
                    let line = Line(type: "ruleset", revision: entry.snapshot.revision, hash: hash, ruleset: ruleSet)
                    return (hash, try Self.line(line))
                }
                return (entry.snapshot.revision, compiled.hash, compiled.line)
            }
            var current = try await compile()
            // The first rule set goes out unless the enforcer already has this revision.
            if after < current.revision { try await writer.write(current.line) }
            for await signal in signals {
                switch signal {
                case .policyChanged(let revision):
                    let next = try await compile(atLeast: revision)
                    if next.hash != current.hash {
                        try await writer.write(next.line)
                    } else if next.revision != current.revision {
                        // Same rules at a newer revision: a short line, so the enforcer can ack it.
                        try await writer.write(
                            line(Line(type: "current", revision: next.revision, hash: next.hash, ruleset: nil)))
                    }
                    current = next
                case .heartbeat:
                    try await writer.write(
                        line(Line(type: "heartbeat", revision: current.revision, hash: current.hash, ruleset: nil)))
                }
            }
        }
    }

    static func line(_ value: Line) throws -> [UInt8] {
        try JSONCoding.encode(value) + [0x0A]
    }

    static func ack(_ request: Request, _ identity: EnforcerIdentity, _ channel: EnforcerChannel) async throws
        -> Response
    {
        let ack = try ChannelComponents.validator.decode(Ack.self, from: request.body, schema: .ref("Ack"))
        let rows = try await channel.pool.query(
            """
            UPDATE enforcers SET applied_revision = \(ack.revision),
                apply_error = \(ack.status == "failed" ? (ack.error ?? "failed") : nil)
            WHERE id = \(identity.id) AND \(ack.revision) <= (SELECT revision FROM policy_revision)
            RETURNING applied_revision
            """)
        guard !rows.isEmpty else { throw HTTPError.invalidField("revision", "is newer than any revision issued") }
        return try .json(["applied_revision": ack.revision])
    }
}

import Foundation
import HTTP

/// `POST /v1/enforcer/reports {"sequence", "reports": [...]}`: committed before the answer;
/// a repeated `(enforcer, sequence)` is acknowledged and not stored twice.
enum ReportRoute {
    struct Batch {
        static let fieldNames: Set<String> = ["sequence", "reports"]
        let sequence: Int64
        let reports: [Report]

        /// Reads a batch from its parsed JSON (see `Report.init(_:at:)` for why not `Decodable`).
        init(_ value: JSONValue) throws(HTTPError) {
            guard case .object(let object) = value else { throw .badRequest("The body must be a JSON object.") }
            if let unknown = object.keys.filter({ !Self.fieldNames.contains($0) }).min() {
                throw .invalidField(unknown, "is not a known field")
            }
            let fields = JSONFields(object, path: { $0 })
            guard let sequence = try fields.integer("sequence") else { throw .invalidField("sequence", "is required") }
            guard case .array(let items) = object["reports"] else {
                throw .invalidField("reports", "is required and must be an array")
            }
            guard items.count <= ReportIngest.maximumBatch else {
                throw .invalidField("reports", "has more than \(ReportIngest.maximumBatch) items")
            }
            self.sequence = sequence
            var reports: [Report] = []
            reports.reserveCapacity(items.count)
            for (index, item) in items.enumerated() { reports.append(try Report(item, at: index)) }
            self.reports = reports
        }
    }

    static func register(on router: inout Router, channel: EnforcerChannel) {
        router.add("POST", "/v1/enforcer/reports", bodyLimit: 8 << 20) { request in
            try await channel.authenticated(request) { identity in
                // The bulk path: parsed once (JSONSerialization), then read field by field with
                // unknown fields refused. Decodable with strict keys cost 70 % of the server's CPU
                // here, and a schema pass more than the whole ingest (docs/ENFORCERS.md).
                let batch = try Batch(try JSONValue.parseBody(request.body))
                guard batch.sequence >= 0 else { throw HTTPError.invalidField("sequence", "must be 0 or more") }
                let now = Date()
                for (index, report) in batch.reports.enumerated() {
                    try report.validate(at: index, now: now, settings: channel.settings)
                }
                return try .json(try await ReportIngest.ingest(batch, from: identity, channel: channel, now: now))
            }
        }
    }
}

import Foundation
import HTTP

/// `POST /v1/enforcer/reports {"sequence", "reports": [...]}`: committed before the answer;
/// a repeated `(enforcer, sequence)` is acknowledged and not stored twice.
enum ReportRoute {
    struct Batch: Decodable {
        let sequence: Int64
        let reports: [Report]

        enum CodingKeys: String, CodingKey, CaseIterable { case sequence, reports }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            sequence = try container.decode(Int64.self, forKey: .sequence)
            reports = try container.decode([Report].self, forKey: .reports)
        }
    }

    static func register(on router: inout Router, channel: EnforcerChannel) {
        router.add("POST", "/v1/enforcer/reports", bodyLimit: 8 << 20) { request in
            try await channel.authenticated(request) { identity in
                // The bulk path: decoded straight into types (a schema pass would cost more than
                // the whole ingest), with unknown fields refused and every field checked below.
                guard String(validating: request.body, as: UTF8.self) != nil else {
                    throw HTTPError.badRequest("The body is not valid JSON: it is not UTF-8.", code: "malformed_json")
                }
                try JSONDepth.check(request.body)
                let batch = try JSONCoding.decode(Batch.self, from: request.body)
                guard batch.sequence >= 0 else { throw HTTPError.invalidField("sequence", "must be 0 or more") }
                guard batch.reports.count <= ReportIngest.maximumBatch else {
                    throw HTTPError.invalidField("reports", "has more than \(ReportIngest.maximumBatch) items")
                }
                let now = Date()
                for (index, report) in batch.reports.enumerated() {
                    try report.validate(at: index, now: now, settings: channel.settings)
                }
                return try .json(try await ReportIngest.ingest(batch, from: identity, channel: channel, now: now))
            }
        }
    }
}

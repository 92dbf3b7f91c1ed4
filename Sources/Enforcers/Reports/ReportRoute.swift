import Foundation
import HTTP

/// `POST /v1/enforcer/reports {"sequence", "reports": [...]}`: committed before the answer;
/// a repeated `(enforcer, sequence)` is acknowledged and not stored twice.
enum ReportRoute {
    struct Batch: Decodable {
        let sequence: Int64
        let reports: [Report]
    }

    static func register(on router: inout Router, channel: EnforcerChannel) {
        router.add("POST", "/v1/enforcer/reports", bodyLimit: 8 << 20) { request in
            try await channel.authenticated(request) { identity in
                let batch = try ChannelComponents.validator.decode(
                    Batch.self, from: request.body, schema: .ref("Reports"))
                let now = Date()
                for (index, report) in batch.reports.enumerated() {
                    try report.validate(at: index, now: now, settings: channel.settings)
                }
                return try .json(try await ReportIngest.ingest(batch, from: identity, channel: channel, now: now))
            }
        }
    }
}

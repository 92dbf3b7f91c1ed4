import Foundation
import HTTP

/// `POST /v1/enforcer/reports {"sequence", "reports": [...]}`: committed before the answer;
/// a repeated `(enforcer, sequence)` is acknowledged and not stored twice.
enum ReportRoute {
    struct Batch {
        let sequence: Int64
        let reports: [Report]

        /// Reads a batch straight from the body (see `Report.init(_:at:)` for why not `Decodable`).
        init(_ body: [UInt8]) throws(HTTPError) {
            guard !body.isEmpty else { throw .badRequest("A JSON body is required.", code: "malformed_json") }
            var reader = JSONReader(body)
            guard try reader.peek() == .object else { throw .badRequest("The body must be a JSON object.") }
            try reader.beginObject()
            var sequence: Int64?
            var sequenceSeen = false  // `"sequence": null` leaves `sequence` nil but counts as seen.
            var reports: [Report]?
            while let key = try reader.nextKey() {
                switch key {
                case "sequence" where !sequenceSeen:
                    sequence = try reader.integer(field: "sequence")
                    sequenceSeen = true
                case "reports" where reports == nil:
                    reports = try Self.readReports(&reader)
                case "sequence", "reports":
                    throw .invalidField(key, "appears twice")
                default:
                    throw .invalidField(key, "is not a known field")
                }
            }
            try reader.finish()
            guard let sequence else { throw .invalidField("sequence", "is required") }
            guard let reports else { throw .invalidField("reports", "is required and must be an array") }
            self.sequence = sequence
            self.reports = reports
        }

        private static func readReports(_ reader: inout JSONReader) throws(HTTPError) -> [Report] {
            guard try reader.peek() == .array else {
                throw .invalidField("reports", "is required and must be an array")
            }
            try reader.beginArray()
            var reports: [Report] = []
            while try reader.nextElement() {
                guard reports.count < ReportIngest.maximumBatch else {
                    throw .invalidField("reports", "has more than \(ReportIngest.maximumBatch) items")
                }
                reports.append(try Report(&reader, at: reports.count))
            }
            return reports
        }
    }

    static func register(on router: inout Router, channel: EnforcerChannel) {
        router.add("POST", "/v1/enforcer/reports", bodyLimit: 8 << 20) { request in
            try await channel.authenticated(request) { identity in
                // The bulk path: read straight from the body, field by field, with unknown fields
                // refused. Decodable with strict keys cost 70 % of the server's CPU here, and a
                // schema pass more than the whole ingest (docs/ENFORCERS.md).
                let batch = try Batch(request.body)
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

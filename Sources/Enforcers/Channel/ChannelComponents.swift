import Domain
import HTTP

/// Request schemas of the enforcer channel (checked before decoding, like the REST API's).
enum ChannelComponents {
    static let identifier = Schema.string(maxLength: 253, minLength: 1)
    static let shortText = Schema.string(maxLength: 256)

    static let all: [String: Schema] = [
        "Enroll": .object([
            .init("csr_pem", .string(maxLength: 16_384, minLength: 1)), .init("hostname", identifier),
            .optional("version", .string(maxLength: 64)),
        ]),
        "Renew": .object([.init("csr_pem", .string(maxLength: 16_384, minLength: 1))]),
        "Workload": .object([
            .init("id", identifier), .init("name", identifier), .optional("namespace", identifier),
            .optional("labels", .map(.string(maxLength: 253), maxProperties: 64)),
            .optional("image", .string(maxLength: 1024)),
            .optional("addresses", .array(.string(maxLength: 64, minLength: 1), maxItems: 16, unique: true)),
            .optional("service", identifier),
        ]),
        "Inventory": .object([
            .init(
                "host",
                .object([
                    .init("id", identifier), .init("name", identifier),
                    .optional("facts", .map(shortText, maxProperties: 64)),
                ])),
            .optional("version", .string(maxLength: 64)),
            .init("workloads", .array(.ref("Workload"), maxItems: InventoryRoute.maximumWorkloads)),
        ]),
        "Ack": .object([
            .init("revision", .integer(minimum: 0, maximum: .max)),
            .init("status", .enumeration(["applied", "failed"])),
            .optional("error", .string(maxLength: 4096)),
        ]),
        "Report": .object([
            .init("kind", .enumeration(EventKind.self)),
            .optional("occurred_at", .timestamp),
            .optional("src", identifier), .optional("dst", identifier),
            .optional("port", .integer(minimum: 0, maximum: 65535)),
            .optional("protocol", .enumeration(["tcp", "udp", "icmp", "any"])),
            .optional("application", .string(maxLength: 32)),
            .optional("bytes", .integer(minimum: 0, maximum: 1 << 50)),
            .optional("sessions", .integer(minimum: 0, maximum: 1 << 40)),
            .optional("action", .enumeration(["allow", "deny", "alert", "learn"])),
            .optional("rule_id", .integer(minimum: 1, maximum: .max)),
            .optional("workload", identifier), .optional("name", .string(maxLength: 256)),
            .optional("path", .string(maxLength: 1024)), .optional("user", .string(maxLength: 64)),
            .optional("severity", .enumeration(Severity.self)),
        ]),
        "Reports": .object([
            .init("sequence", .integer(minimum: 0, maximum: .max)),
            .init("reports", .array(.ref("Report"), maxItems: ReportIngest.maximumBatch)),
        ]),
    ]

    static let validator = SchemaValidator(components: all)
}

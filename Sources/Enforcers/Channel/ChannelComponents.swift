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
    ]

    static let validator = SchemaValidator(components: all)
}

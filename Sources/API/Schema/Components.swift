import Domain
import HTTP
import PKI

/// Every named schema of the API: request bodies are checked against these and
/// `/v1/openapi.json` publishes them. Wire names are snake_case and fixed (see docs/API.md).
enum Components {
    static let groupName = Schema.string(maxLength: 128, minLength: 1)
    static let name = Schema.string(maxLength: 64, minLength: 1)
    static let comment = Schema.string(maxLength: Comment.maxLength)
    static let password = Schema.string(maxLength: PasswordHasher.maximumLength, minLength: 1)

    static func list(_ item: String) -> Schema {
        .object([
            .init("items", .array(.ref(item), maxItems: Page.maximumLimit)),
            .init("next_cursor", .nullable(.string(maxLength: 512))),
        ])
    }

    static let all: [String: Schema] = [
        "Problem": .object([
            .init("type", .string(maxLength: 256)), .init("title", .string(maxLength: 256)),
            .init("status", .integer(minimum: 100, maximum: 599)), .init("detail", .string(maxLength: 4096)),
            .init("code", .string(maxLength: 64)), .optional("request_id", .string(maxLength: 64)),
        ]),
        "LoginRequest": .object([.init("username", name), .init("password", password)]),
        "UserSummary": .object([.init("name", name), .init("role", .enumeration(Role.self))]),
        "LoginResponse": .object([
            .init("token", .string(maxLength: 64)), .init("expires_at", .timestamp), .init("user", .ref("UserSummary")),
        ]),
        "Me": .object([
            .init("name", name), .init("role", .enumeration(Role.self)),
            .init("kind", .enumeration(["user", "api_key"])),
        ]),
        "PasswordChange": .object([.init("current_password", password), .init("new_password", password)]),
        "User": .object([
            .init("name", name), .init("role", .enumeration(Role.self)), .init("disabled", .boolean),
            .init("created_at", .timestamp), .init("updated_at", .timestamp),
        ]),
        "UserCreate": .object([
            .init("name", name), .init("role", .enumeration(Role.self)), .init("password", password),
        ]),
        "UserUpdate": .object([
            .optional("role", .enumeration(Role.self)), .optional("password", password),
            .optional("disabled", .boolean),
        ]),
        "APIKey": .object([
            .init("id", .uuid), .init("name", .string(maxLength: 128)), .init("role", .enumeration(Role.self)),
            .init("created_by", .nullable(name)), .init("created_at", .timestamp),
            .init("expires_at", .nullable(.timestamp)), .init("last_used_at", .nullable(.timestamp)),
            .init("revoked_at", .nullable(.timestamp)),
        ]),
        "APIKeyCreate": .object([
            .init("name", .string(maxLength: 128, minLength: 1)), .init("role", .enumeration(Role.self)),
            .optional("expires_at", .nullable(.timestamp)),
        ]),
        "APIKeyCreated": .object([
            .init("id", .uuid), .init("name", .string(maxLength: 128)), .init("role", .enumeration(Role.self)),
            .init("secret", .string(maxLength: 64)), .init("expires_at", .nullable(.timestamp)),
        ]),
        "Criterion": .object([
            .init("key", .enumeration(Criterion.Key.self)), .init("op", .enumeration(Criterion.Op.self)),
            .init("value", .string(maxLength: 253, minLength: 1)),
        ]),
        "GroupInput": .object([
            .init("name", groupName), .optional("criteria", .array(.ref("Criterion"), maxItems: Group.maxCriteria)),
            .optional("policy_mode", .enumeration(PolicyMode.self)), .optional("learned", .boolean),
            .optional("comment", .nullable(comment)),
        ]),
        "Group": .object([
            .init("name", groupName), .init("criteria", .array(.ref("Criterion"), maxItems: Group.maxCriteria)),
            .init("policy_mode", .enumeration(PolicyMode.self)), .init("learned", .boolean),
            .optional("comment", .nullable(comment)), .init("member_count", .integer(minimum: 0, maximum: .max)),
        ]),
        "RuleInput": .object(ruleFields(required: false)),
        "Rule": .object(
            [.init("id", .integer(minimum: 1, maximum: .max))] + ruleFields(required: true) + [
                .init("hits", .integer(minimum: 0, maximum: .max)), .init("last_hit_at", .nullable(.timestamp)),
            ]),
        "RuleMove": .object([
            .optional("before", .integer(minimum: 1, maximum: .max)),
            .optional("after", .integer(minimum: 1, maximum: .max)),
        ]),
        "RuleList": .object([.init("items", .array(.ref("RuleInput"), maxItems: PolicyDocument.maxRules))]),
        "ProcessRule": .object([
            .init("name", .string(maxLength: 64, minLength: 1)), .optional("path", .string(maxLength: 1024)),
            .optional("user", .string(maxLength: 64)), .optional("action", .enumeration(RuleAction.self)),
            .optional("learned", .boolean),
        ]),
        "ProcessProfile": .object([
            .init("group", groupName), .init("items", .array(.ref("ProcessRule"), maxItems: ProcessRule.maxEntries)),
        ]),
        "ProcessProfileInput": .object([
            .init("items", .array(.ref("ProcessRule"), maxItems: ProcessRule.maxEntries))
        ]),
        "ResponseCondition": .object([
            .init("key", .enumeration(ResponseRuleSpec.Condition.Key.self)),
            .init("op", .enumeration(Criterion.Op.self)), .init("value", .string(maxLength: 253, minLength: 1)),
        ]),
        "ResponseRuleInput": .object(responseRuleFields),
        "ResponseRule": .object([.init("id", .integer(minimum: 1, maximum: .max))] + responseRuleFields),
        "PolicyDocument": .object([
            .init("version", .integer(minimum: 1, maximum: 1)), .optional("scope", groupName),
            .init("groups", .array(.ref("GroupInput"), maxItems: PolicyDocument.maxGroups)),
            .init("rules", .array(.ref("RuleInput"), maxItems: PolicyDocument.maxRules)),
            .init("process_profiles", .array(.ref("ProcessProfile"), maxItems: PolicyDocument.maxGroups)),
            .init("response_rules", .array(.ref("ResponseRuleInput"), maxItems: PolicyDocument.maxRules)),
        ]),
        "Changes": .object([
            .init("created", .array(.string(maxLength: 2048), maxItems: .max)),
            .init("changed", .array(.string(maxLength: 2048), maxItems: .max)),
            .init("deleted", .array(.string(maxLength: 2048), maxItems: .max)),
        ]),
        "PolicyDiff": .object([
            .init("groups", .ref("Changes")), .init("rules", .ref("Changes")),
            .init("process_profiles", .ref("Changes")), .init("response_rules", .ref("Changes")),
        ]),
        "ImportResult": .object([
            .init("dry_run", .boolean), .init("applied", .boolean),
            .init("revision", .integer(minimum: 0, maximum: .max)),
            .init("diff", .ref("PolicyDiff")),
        ]),
        "Host": .object([
            .init("id", .string(maxLength: 256)), .init("name", .string(maxLength: 256)), .init("facts", .any),
            .init("first_seen_at", .timestamp), .init("last_seen_at", .timestamp),
            .init("workload_count", .integer(minimum: 0, maximum: .max)),
        ]),
        "Workload": .object([
            .init("id", .string(maxLength: 256)), .init("host_id", .string(maxLength: 256)),
            .init("name", .string(maxLength: 256)), .init("namespace", .string(maxLength: 256)),
            .init("labels", .map(.string(maxLength: 1024), maxProperties: 256)),
            .init("image", .string(maxLength: 1024)),
            .init("addresses", .array(.string(maxLength: 64), maxItems: 256)),
            .init("service", .nullable(.string(maxLength: 256))),
            .init("groups", .array(groupName, maxItems: .max)),
            .init("policy_mode", .nullable(.enumeration(PolicyMode.self))),
            .init("first_seen_at", .timestamp), .init("last_seen_at", .timestamp),
        ]),
        "Enforcer": .object([
            .init("id", .uuid), .init("hostname", .string(maxLength: 256)),
            .init("host_id", .nullable(.string(maxLength: 256))),
            .init("version", .nullable(.string(maxLength: 64))),
            .init("state", .enumeration(["connected", "disconnected", "revoked"])),
            .init("applied_revision", .integer(minimum: 0, maximum: .max)),
            .init("revision_lag", .integer(minimum: 0, maximum: .max)),
            .init("apply_error", .nullable(.string(maxLength: 4096))), .init("certificate_expires_at", .timestamp),
            .init("enrolled_at", .timestamp), .init("last_seen_at", .nullable(.timestamp)),
            .init("revoked_at", .nullable(.timestamp)),
        ]),
        "JoinTokenCreate": .object([
            .init("ttl_seconds", .integer(minimum: 60, maximum: 30 * 86_400)),
            .init("max_uses", .integer(minimum: 1, maximum: 10_000)),
        ]),
        "JoinTokenCreated": .object([
            .init("id", .uuid), .init("token", .string(maxLength: 64)), .init("expires_at", .timestamp),
            .init("max_uses", .integer(minimum: 1, maximum: 10_000)),
        ]),
        "JoinToken": .object([
            .init("id", .uuid), .init("created_by", .string(maxLength: 256)), .init("created_at", .timestamp),
            .init("expires_at", .timestamp), .init("max_uses", .integer(minimum: 1, maximum: 10_000)),
            .init("uses", .integer(minimum: 0, maximum: 10_000)), .init("revoked_at", .nullable(.timestamp)),
        ]),
        "Event": .object([
            .init("id", .integer(minimum: 1, maximum: .max)), .init("occurred_at", .timestamp),
            .init("kind", .enumeration(EventKind.self)), .init("severity", .enumeration(Severity.self)),
            .init("enforcer_id", .nullable(.uuid)), .init("host_id", .nullable(.string(maxLength: 256))),
            .init("workload_id", .nullable(.string(maxLength: 256))), .init("group", .nullable(groupName)),
            .init("peer", .nullable(.string(maxLength: 256))), .init("action", .nullable(.string(maxLength: 64))),
            .init("summary", .string(maxLength: 4096)), .init("detail", .any),
        ]),
        "AuditEntry": .object([
            .init("id", .integer(minimum: 1, maximum: .max)), .init("occurred_at", .timestamp),
            .init("actor", .string(maxLength: 256)), .init("role", .nullable(.string(maxLength: 32))),
            .init("source", .nullable(.string(maxLength: 256))), .init("method", .string(maxLength: 16)),
            .init("path", .string(maxLength: 4096)), .init("resource", .nullable(.string(maxLength: 4096))),
            .init("outcome", .enumeration(["success", "failure", "denied"])),
            .init("status", .integer(minimum: 100, maximum: 599)), .init("detail", .any),
        ]),
        "TopologyNode": .object([
            .init("id", .string(maxLength: 256)), .init("kind", .enumeration(["workload", "group", "address"])),
            .init("name", .string(maxLength: 256)), .init("group", .nullable(groupName)),
            .init("namespace", .nullable(.string(maxLength: 256))),
            .init("policy_mode", .nullable(.enumeration(PolicyMode.self))),
        ]),
        "TopologyEdge": .object([
            .init("from", .string(maxLength: 256)), .init("to", .string(maxLength: 256)),
            .init("ports", .array(.string(maxLength: 16), maxItems: .max)),
            .init("applications", .array(.string(maxLength: 64), maxItems: .max)),
            .init("bytes", .integer(minimum: 0, maximum: .max)), .init("sessions", .integer(minimum: 0, maximum: .max)),
            .init("last_action", .nullable(.string(maxLength: 64))), .init("last_seen_at", .timestamp),
        ]),
        "Topology": .object([
            .init("nodes", .array(.ref("TopologyNode"), maxItems: .max)),
            .init("edges", .array(.ref("TopologyEdge"), maxItems: .max)),
            .init("truncated", .boolean),
        ]),
        "Counts": .map(.integer(minimum: 0, maximum: .max), maxProperties: 16),
        "Offender": .object([
            .init("id", .string(maxLength: 256)), .init("name", .string(maxLength: 256)),
            .init("violations", .integer(minimum: 0, maximum: .max)),
        ]),
        "Dashboard": .object([
            .init("since", .timestamp), .init("until", .timestamp),
            .init("bucket_seconds", .integer(minimum: 300, maximum: 86_400)),
            .init(
                "buckets",
                .array(
                    .object([
                        .init("start", .timestamp), .init("by_severity", .ref("Counts")),
                        .init("by_kind", .ref("Counts")),
                    ]), maxItems: 500)),
            .init("totals", .object([.init("by_severity", .ref("Counts")), .init("by_kind", .ref("Counts"))])),
            .init("top_groups", .array(.ref("Offender"), maxItems: 10)),
            .init("top_workloads", .array(.ref("Offender"), maxItems: 10)),
            .init("enforcers", .ref("Counts")), .init("policy_modes", .ref("Counts")),
            .init(
                "risk",
                .object([
                    .init("score", .integer(minimum: 0, maximum: 100)), .init("exposure", .number),
                    .init("violations", .number), .init("threats", .number), .init("enforcer_health", .number),
                ])),
        ]),
        "OpenAPI": .any,
        "Status": .object([.init("status", .string(maxLength: 32))]),
    ]

    static func ruleFields(required: Bool) -> [Schema.Property] {
        func field(_ name: String, _ schema: Schema) -> Schema.Property {
            .init(name, schema, required: required)
        }
        return [
            .init("from", groupName), .init("to", groupName),
            field("ports", .array(.string(maxLength: 16, minLength: 1), maxItems: 32)),
            field("applications", .array(.string(maxLength: 32, minLength: 1), maxItems: RuleSpec.maxApplications)),
            .init("action", .enumeration(RuleAction.self)), field("learned", .boolean), field("enabled", .boolean),
            .optional("comment", .nullable(comment)),
        ]
    }

    static let responseRuleFields: [Schema.Property] = [
        .init("event_kind", .enumeration(EventKind.self)),
        .optional("conditions", .array(.ref("ResponseCondition"), maxItems: ResponseRuleSpec.maxConditions)),
        .init("actions", .array(.enumeration(ResponseRuleSpec.Action.self), maxItems: 3)),
        .optional("enabled", .boolean), .optional("comment", .nullable(comment)),
    ]
}

/// "When an event of this kind meets these conditions, do these things." Evaluated in order
/// for each new event; every matching rule's actions run.
public struct ResponseRuleSpec: Codable, Sendable, Equatable {
    public static let maxConditions = 16

    public struct Condition: Codable, Sendable, Equatable, Hashable {
        public enum Key: String, Codable, Sendable, CaseIterable {
            case group, workload, namespace, severity
            /// The process or threat name the event carries.
            case name
        }
        public var key: Key
        public var op: Criterion.Op
        public var value: String

        public init(key: Key, op: Criterion.Op, value: String) {
            self.key = key
            self.op = op
            self.value = value
        }
    }

    public enum Action: String, Codable, Sendable, CaseIterable {
        /// Tell the workload's enforcer to cut the workload off the network.
        case quarantine
        /// Deliver the event to the configured webhooks.
        case webhook
        /// Record nothing further: no event, no notification.
        case suppress
    }

    public var eventKind: EventKind
    public var conditions: [Condition]
    public var actions: [Action]
    public var enabled: Bool
    public var comment: String?

    public init(
        eventKind: EventKind, conditions: [Condition] = [], actions: [Action], enabled: Bool = true,
        comment: String? = nil
    ) {
        self.eventKind = eventKind
        self.conditions = conditions
        self.actions = actions
        self.enabled = enabled
        self.comment = comment
    }

    enum CodingKeys: String, CodingKey {
        case eventKind = "event_kind"
        case conditions, actions, enabled, comment
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventKind = try container.decode(EventKind.self, forKey: .eventKind)
        conditions = try container.decodeIfPresent([Condition].self, forKey: .conditions) ?? []
        actions = try container.decode([Action].self, forKey: .actions)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        comment = try container.decodeIfPresent(String.self, forKey: .comment)
    }

    public func validate() throws(ValidationError) {
        guard conditions.count <= Self.maxConditions else {
            throw ValidationError(field: "conditions", problem: "has more than \(Self.maxConditions) entries")
        }
        for (index, condition) in conditions.enumerated() {
            let field = "conditions[\(index)].value"
            if condition.key == .severity {
                guard Severity(rawValue: condition.value) != nil, condition.op == .eq || condition.op == .ne else {
                    throw ValidationError(field: field, problem: "must be a severity compared with eq or ne")
                }
            } else if !Token.isLiteralValue(condition.value) {
                throw ValidationError(
                    field: field, problem: "must be 1-253 characters of letters, digits and ._:/@=- (literal)")
            }
        }
        guard !actions.isEmpty, Set(actions).count == actions.count else {
            throw ValidationError(field: "actions", problem: "must list one or more distinct actions")
        }
        if actions.contains(.suppress) && actions.count > 1 {
            throw ValidationError(field: "actions", problem: "cannot combine 'suppress' with other actions")
        }
        try Comment.validate(comment)
    }
}

/// The whole policy as one versioned document: what `GET /v1/policy/export` returns and
/// `POST /v1/policy/import` takes. Free of database ids and counters, so exporting, importing
/// elsewhere and exporting again gives the same document.
public struct PolicyDocument: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public static let maxGroups = 10_000
    public static let maxRules = 10_000

    public struct ProcessProfile: Codable, Sendable, Equatable {
        public var group: String
        public var items: [ProcessRule]

        public init(group: String, items: [ProcessRule]) {
            self.group = group
            self.items = items
        }
    }

    public var version: Int
    /// Set on exports filtered to one group (for review): such a document is not the whole
    /// policy, so importing it is refused rather than deleting everything outside it.
    public var scope: String?
    public var groups: [Group]
    public var rules: [RuleSpec]
    public var processProfiles: [ProcessProfile]
    public var responseRules: [ResponseRuleSpec]

    public init(
        groups: [Group], rules: [RuleSpec], processProfiles: [ProcessProfile], responseRules: [ResponseRuleSpec]
    ) {
        self.version = Self.currentVersion
        self.groups = groups
        self.rules = rules
        self.processProfiles = processProfiles
        self.responseRules = responseRules
    }

    enum CodingKeys: String, CodingKey {
        case version, scope, groups, rules
        case processProfiles = "process_profiles"
        case responseRules = "response_rules"
    }

    /// Checks the document as a whole: its version, every entry, unique group names, and that
    /// every rule and profile names a group the document defines. Returns it with canonical ports.
    public func validated() throws(ValidationError) -> PolicyDocument {
        guard version == Self.currentVersion else {
            throw ValidationError(field: "version", problem: "must be \(Self.currentVersion)")
        }
        guard scope == nil else {
            throw ValidationError(
                field: "scope", problem: "marks an export filtered to one group; import a full export instead")
        }
        guard groups.count <= Self.maxGroups, rules.count <= Self.maxRules else {
            throw ValidationError(field: "groups", problem: "document exceeds \(Self.maxGroups) groups or rules")
        }
        var names = Set<String>()
        for (index, group) in groups.enumerated() {
            do { try group.validate() } catch { throw error.nested(under: "groups[\(index)]") }
            guard names.insert(group.name).inserted else {
                throw ValidationError(field: "groups[\(index)].name", problem: "repeats '\(group.name)'")
            }
        }
        var copy = self
        for (index, rule) in rules.enumerated() {
            do { copy.rules[index] = try rule.validated() } catch { throw error.nested(under: "rules[\(index)]") }
            for (field, group) in [("from", rule.from), ("to", rule.to)] where !names.contains(group) {
                throw ValidationError(field: "rules[\(index)].\(field)", problem: "names unknown group '\(group)'")
            }
        }
        var profiled = Set<String>()
        for (index, profile) in processProfiles.enumerated() {
            guard names.contains(profile.group), profiled.insert(profile.group).inserted else {
                throw ValidationError(
                    field: "process_profiles[\(index)].group", problem: "must name a group of the document once")
            }
            do { try ProcessRule.validate(profile.items) } catch {
                throw error.nested(under: "process_profiles[\(index)]")
            }
        }
        for (index, rule) in responseRules.enumerated() {
            do { try rule.validate() } catch { throw error.nested(under: "response_rules[\(index)]") }
        }
        return copy
    }
}

/// What importing a document would change, by kind: names of groups, and a readable key for
/// rules, profile entries and response rules.
public struct PolicyDiff: Codable, Sendable, Equatable {
    public struct Changes: Codable, Sendable, Equatable {
        public var created: [String] = []
        public var changed: [String] = []
        public var deleted: [String] = []

        public init(created: [String] = [], changed: [String] = [], deleted: [String] = []) {
            self.created = created
            self.changed = changed
            self.deleted = deleted
        }

        public var isEmpty: Bool { created.isEmpty && changed.isEmpty && deleted.isEmpty }
    }

    public var groups = Changes()
    public var rules = Changes()
    public var processProfiles = Changes()
    public var responseRules = Changes()

    enum CodingKeys: String, CodingKey {
        case groups, rules
        case processProfiles = "process_profiles"
        case responseRules = "response_rules"
    }

    public init(from current: PolicyDocument, to incoming: PolicyDocument) {
        groups = Self.compare(current.groups.map { ($0.name, $0) }, incoming.groups.map { ($0.name, $0) })
        rules = Self.compare(Self.keyedRules(current), Self.keyedRules(incoming))
        processProfiles = Self.compare(Self.keyedProfiles(current), Self.keyedProfiles(incoming))
        responseRules = Self.compare(Self.keyedResponses(current), Self.keyedResponses(incoming))
    }

    public var isEmpty: Bool { groups.isEmpty && rules.isEmpty && processProfiles.isEmpty && responseRules.isEmpty }

    /// Rules are known by what they match; their action, state and position may change.
    private static func keyedRules(_ document: PolicyDocument) -> [(String, Positioned<RuleSpec>)] {
        document.rules.enumerated().map { position, rule in
            let ports = rule.ports.joined(separator: ",")
            let key = "\(rule.from) -> \(rule.to) \(ports) \(rule.applications.joined(separator: ","))"
            return (key.trimmingSuffixSpaces, Positioned(position: position, value: rule))
        }
    }

    private static func keyedProfiles(_ document: PolicyDocument) -> [(String, ProcessRule)] {
        document.processProfiles.flatMap { profile in
            profile.items.map { ("\(profile.group): \($0.name) \($0.path) \($0.user)".trimmingSuffixSpaces, $0) }
        }
    }

    private static func keyedResponses(_ document: PolicyDocument) -> [(String, Positioned<ResponseRuleSpec>)] {
        document.responseRules.enumerated().map { position, rule in
            let conditions = rule.conditions.map { "\($0.key.rawValue) \($0.op.rawValue) \($0.value)" }
            let key = ([rule.eventKind.rawValue] + conditions).joined(separator: " ")
            return (key, Positioned(position: position, value: rule))
        }
    }

    private struct Positioned<T: Equatable>: Equatable {
        let position: Int
        let value: T
    }

    /// Keys present only in `incoming` are created, only in `current` deleted, in both but
    /// unequal changed. Repeated keys are compared in order of appearance.
    private static func compare<T: Equatable>(_ current: [(String, T)], _ incoming: [(String, T)]) -> Changes {
        var changes = Changes()
        var remaining: [String: [T]] = [:]
        var order: [String] = []
        for (k, item) in current {
            if remaining[k] == nil { order.append(k) }
            remaining[k, default: []].append(item)
        }
        for (k, item) in incoming {
            if var list = remaining[k], !list.isEmpty {
                let old = list.removeFirst()
                remaining[k] = list
                if old != item { changes.changed.append(k) }
            } else {
                changes.created.append(k)
            }
        }
        for k in order { changes.deleted += Array(repeating: k, count: remaining[k]?.count ?? 0) }
        return changes
    }
}

extension String {
    fileprivate var trimmingSuffixSpaces: String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

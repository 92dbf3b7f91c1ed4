/// What one enforcer needs to enforce policy on its node: its workloads with their mode and
/// allowed processes, and the rules that concern them with every peer group resolved to
/// addresses. Deterministic for the same input (sorted everywhere), so equal policy gives equal
/// bytes and an unchanged node gets nothing new.
public struct RuleSet: Codable, Sendable, Equatable {
    public struct Peer: Codable, Sendable, Equatable {
        public var group: String
        /// Member workload addresses and the group's address criteria, sorted.
        public var addresses: [String]
    }

    public struct Rule: Codable, Sendable, Equatable {
        public var id: Int64
        public var from: Peer
        public var to: Peer
        public var ports: [String]
        public var applications: [String]
        public var action: RuleAction
    }

    public struct Workload: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var groups: [String]
        public var policyMode: PolicyMode
        /// What happens to traffic no rule matches: `learn` (discover), `alert` (monitor), `deny` (protect).
        public var defaultAction: String
        public var processes: [ProcessRule]

        enum CodingKeys: String, CodingKey {
            case id, name, groups, processes
            case policyMode = "policy_mode"
            case defaultAction = "default_action"
        }
    }

    public var workloads: [Workload]
    public var rules: [Rule]

    public static func defaultAction(for mode: PolicyMode) -> String {
        switch mode {
        case .discover: "learn"
        case .monitor: "alert"
        case .protect: "deny"
        }
    }
}

/// The whole policy and inventory at one revision, loaded once and compiled per node in memory.
public struct PolicySnapshot: Sendable {
    public struct StoredRule: Sendable {
        public var id: Int64
        public var spec: RuleSpec

        public init(id: Int64, spec: RuleSpec) {
            self.id = id
            self.spec = spec
        }
    }

    public let revision: Int64
    public let groups: [String: Group]
    /// Group name → member workload ids.
    public let members: [String: Set<String>]
    public let workloads: [String: WorkloadFacts]
    public let rules: [StoredRule]
    public let profiles: [String: [ProcessRule]]
    /// Workload id → its groups, sorted.
    public let groupsByWorkload: [String: [String]]

    public init(
        revision: Int64, groups: [Group], members: [String: Set<String>], workloads: [WorkloadFacts],
        rules: [StoredRule], profiles: [String: [ProcessRule]]
    ) {
        self.revision = revision
        self.groups = Dictionary(groups.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.members = members
        self.workloads = Dictionary(workloads.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.rules = rules
        self.profiles = profiles
        var byWorkload: [String: [String]] = [:]
        for (group, ids) in members { for id in ids { byWorkload[id, default: []].append(group) } }
        groupsByWorkload = byWorkload.mapValues { $0.sorted() }
    }

    /// The groups of a workload, sorted.
    public func groups(of workload: String) -> [String] { groupsByWorkload[workload] ?? [] }

    /// The group learning attributes a workload's traffic to: its learned service group if it
    /// has one, else its first group by name.
    public func primaryGroup(of workload: String) -> String? {
        let names = groups(of: workload)
        return names.first { groups[$0]?.learned == true } ?? names.first
    }

    /// True when `group`'s process profile allows this execution (empty path or user: any).
    public func profileAllows(_ group: String, name: String, path: String, user: String) -> Bool {
        (profiles[group] ?? []).contains { entry in
            entry.action == .allow && entry.name == name && (entry.path.isEmpty || entry.path == path)
                && (entry.user.isEmpty || entry.user == user)
        }
    }

    /// The strictest mode among a workload's groups; discover for a workload in no group.
    public func mode(of groupNames: [String]) -> PolicyMode {
        let modes = groupNames.compactMap { groups[$0]?.policyMode }
        if modes.contains(.protect) { return .protect }
        if modes.contains(.monitor) { return .monitor }
        return .discover
    }

    public func peer(_ group: String) -> RuleSet.Peer {
        var addresses = Set(members[group, default: []].flatMap { workloads[$0]?.addresses ?? [] })
        for criterion in groups[group]?.criteria ?? [] where criterion.key == .address && criterion.op == .eq {
            addresses.insert(criterion.value)
        }
        return RuleSet.Peer(group: group, addresses: addresses.sorted())
    }

    /// The rule set of a node running `workloadIDs`.
    public func ruleSet(forWorkloads workloadIDs: [String]) -> RuleSet {
        var local: [RuleSet.Workload] = []
        var localGroups = Set<String>()
        for id in workloadIDs.sorted() {
            guard let facts = workloads[id] else { continue }
            let names = groups(of: id)
            localGroups.formUnion(names)
            let mode = mode(of: names)
            let processes = Set(names.flatMap { profiles[$0] ?? [] }).sorted {
                ($0.name, $0.path, $0.user) < ($1.name, $1.path, $1.user)
            }
            local.append(
                RuleSet.Workload(
                    id: id, name: facts.name, groups: names, policyMode: mode,
                    defaultAction: RuleSet.defaultAction(for: mode), processes: processes))
        }
        let rules = self.rules.filter { rule in
            rule.spec.enabled && (localGroups.contains(rule.spec.from) || localGroups.contains(rule.spec.to))
        }.map { rule in
            RuleSet.Rule(
                id: rule.id, from: peer(rule.spec.from), to: peer(rule.spec.to), ports: rule.spec.ports,
                applications: rule.spec.applications, action: rule.spec.action)
        }
        return RuleSet(workloads: local, rules: rules)
    }
}

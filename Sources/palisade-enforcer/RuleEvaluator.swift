import Domain

/// What an enforcer does with one connection under its rule set: the first enabled rule whose
/// peers and ports match decides; otherwise the destination workload's default action
/// (discover: allow and let Palisade learn; monitor: allow, Palisade raises a violation;
/// protect: deny).
enum RuleEvaluator {
    struct Decision {
        let action: String
        let ruleID: Int64?
    }

    static func decide(
        _ ruleSet: RuleSet, sourceAddress: String, destinationAddress: String, destinationWorkload: String?,
        port: String
    ) -> Decision {
        guard let wanted = PortSpec(port) else { return Decision(action: "deny", ruleID: nil) }
        for rule in ruleSet.rules
        where contains(rule.from.addresses, sourceAddress) && contains(rule.to.addresses, destinationAddress)
            && rule.ports.compactMap(PortSpec.init).contains(where: { $0.covers(wanted) })
        {
            return Decision(action: rule.action.rawValue, ruleID: rule.id)
        }
        let mode = ruleSet.workloads.first { $0.id == destinationWorkload }?.policyMode ?? .discover
        return Decision(action: mode == .protect ? "deny" : "allow", ruleID: nil)
    }

    private static func contains(_ networks: [String], _ address: String) -> Bool {
        guard let host = IPNetwork(address) else { return false }
        return networks.contains { IPNetwork($0)?.contains(host) ?? false }
    }
}

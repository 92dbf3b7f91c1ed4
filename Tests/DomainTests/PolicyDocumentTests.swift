import Domain
import Testing

@Suite struct PolicyDocumentTests {
    let base = PolicyDocument(
        groups: [Group(name: "web"), Group(name: "db", policyMode: .protect)],
        rules: [RuleSpec(from: "web", to: "db", ports: ["tcp/5432"], action: .allow)],
        processProfiles: [.init(group: "db", items: [ProcessRule(name: "postgres", path: "/usr/bin/postgres")])],
        responseRules: [ResponseRuleSpec(eventKind: .threat, actions: [.webhook])])

    @Test func anUnchangedDocumentHasAnEmptyDiff() {
        #expect(PolicyDiff(from: base, to: base).isEmpty)
    }

    @Test func diffNamesCreatedChangedAndDeletedEntries() {
        var next = base
        next.groups[1].policyMode = .monitor
        next.groups.append(Group(name: "cache"))
        next.rules = [RuleSpec(from: "web", to: "cache", ports: ["tcp/6379"], action: .allow)]
        next.processProfiles = []
        let diff = PolicyDiff(from: base, to: next)
        #expect(diff.groups == .init(created: ["cache"], changed: ["db"], deleted: []))
        #expect(diff.rules == .init(created: ["web -> cache tcp/6379"], changed: [], deleted: ["web -> db tcp/5432"]))
        #expect(diff.processProfiles.deleted == ["db: postgres /usr/bin/postgres"])
        #expect(diff.responseRules.isEmpty)
    }

    @Test func rulesMustNameGroupsOfTheDocument() {
        var document = base
        document.rules.append(RuleSpec(from: "web", to: "nowhere", action: .deny))
        #expect(throws: ValidationError(field: "rules[1].to", problem: "names unknown group 'nowhere'")) {
            try document.validated()
        }
    }

    @Test func validationCanonicalisesPortsAndRefusesRepeatedGroups() throws {
        var document = base
        document.rules[0].ports = ["TCP/5432"]
        #expect(try document.validated().rules[0].ports == ["tcp/5432"])
        document.groups.append(Group(name: "web"))
        #expect(throws: ValidationError(field: "groups[2].name", problem: "repeats 'web'")) { try document.validated() }
    }
}

import Domain
import Testing

@Suite struct CriterionTests {
    let web = WorkloadFacts(
        id: "w1", name: "web-7f9", namespace: "shop", labels: ["app": "web", "tier": "front"],
        image: "registry.local/shop/web:1.4", addresses: ["10.1.2.3", "fd00::5"])

    @Test func eachKeyAndOperatorMatchesAsDocumented() {
        let cases: [(Criterion, Bool)] = [
            (Criterion(key: .namespace, op: .eq, value: "shop"), true),
            (Criterion(key: .namespace, op: .ne, value: "shop"), false),
            (Criterion(key: .name, op: .prefix, value: "web-"), true),
            (Criterion(key: .image, op: .contains, value: "shop/web"), true),
            (Criterion(key: .label, op: .eq, value: "app=web"), true),
            (Criterion(key: .label, op: .eq, value: "app=db"), false),
            (Criterion(key: .label, op: .eq, value: "tier"), true),
            (Criterion(key: .label, op: .ne, value: "missing"), true),
            (Criterion(key: .address, op: .eq, value: "10.1.0.0/16"), true),
            (Criterion(key: .address, op: .eq, value: "10.2.0.0/16"), false),
            (Criterion(key: .address, op: .eq, value: "fd00::/64"), true),
            (Criterion(key: .address, op: .ne, value: "192.168.0.0/16"), true),
        ]
        for (criterion, expected) in cases {
            #expect(criterion.matches(web) == expected, "\(criterion)")
        }
    }

    @Test func groupsNeedEveryCriterionAndAtLeastOne() {
        #expect(!Group(name: "empty").matches(web))
        let both = Group(
            name: "shop-web",
            criteria: [.init(key: .namespace, op: .eq, value: "shop"), .init(key: .label, op: .eq, value: "app=web")])
        #expect(both.matches(web))
        var other = both
        other.criteria.append(.init(key: .image, op: .prefix, value: "docker.io/"))
        #expect(!other.matches(web))
    }

    @Test(arguments: ["web*", "^web$", "a|b", "(x)", "a b", "back\\slash", ""])
    func patternLikeValuesAreRefused(value: String) {
        #expect(throws: ValidationError.self) { try Criterion(key: .name, op: .eq, value: value).validate() }
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0", "256.1.1.1", "01.2.3.4", "fd00:::1", "fd00::/129", "host.local"])
    func malformedAddressesAreRefused(value: String) {
        #expect(throws: ValidationError.self) { try Criterion(key: .address, op: .eq, value: value).validate() }
    }

    @Test func addressCriteriaOnlyCompareForEquality() {
        #expect(throws: ValidationError(field: "op", problem: "must be 'eq' or 'ne' for 'address'")) {
            try Criterion(key: .address, op: .prefix, value: "10.0.0.0/8").validate()
        }
    }
}

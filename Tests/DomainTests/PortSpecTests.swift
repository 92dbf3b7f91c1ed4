import Domain
import Testing

@Suite struct PortSpecTests {
    @Test(arguments: [
        ("any", "any"), ("ICMP", "icmp"), ("tcp/80", "tcp/80"), ("UDP/53", "udp/53"),
        ("tcp/8000-8080", "tcp/8000-8080"),
        ("tcp/443-443", "tcp/443"), ("sctp/any", "sctp/any"),
    ])
    func canonicalForms(input: String, canonical: String) {
        #expect(PortSpec(input)?.description == canonical)
    }

    @Test(arguments: [
        "", "tcp", "tcp/", "tcp/0", "tcp/65536", "tcp/80-79", "tcp/-1", "tcp/+80", "tcp/08080x", "http/80", "icmp/8",
        "tcp/80-", "tcp/1-2-3", "tcp/ 80", "tcp/99999999999999999999",
    ])
    func refusesMalformedPorts(input: String) {
        #expect(PortSpec(input) == nil)
    }

    @Test func listsAreBoundedDeduplicatedAndAnyStandsAlone() throws {
        #expect(try PortSpec.canonical([]) == ["any"])
        #expect(try PortSpec.canonical(["TCP/80", "udp/53"]) == ["tcp/80", "udp/53"])
        #expect(throws: ValidationError(field: "ports[1]", problem: "repeats 'tcp/80'")) {
            try PortSpec.canonical(["tcp/80", "tcp/80"])
        }
        #expect(throws: ValidationError.self) { try PortSpec.canonical(["any", "tcp/80"]) }
        #expect(throws: ValidationError.self) { try PortSpec.canonical((1...33).map { "tcp/\($0)" }) }
    }

    @Test func learningMergesPortsAndCollapsesManyToAny() {
        #expect(PortSpec.merge(["tcp/80"], adding: "tcp/443") == ["tcp/80", "tcp/443"])
        #expect(PortSpec.merge(["tcp/80"], adding: "tcp/80") == ["tcp/80"])
        #expect(PortSpec.merge(["tcp/8000-8100"], adding: "tcp/8080") == ["tcp/8000-8100"])
        #expect(PortSpec.merge(["any"], adding: "udp/53") == ["any"])
        #expect(PortSpec.merge(["tcp/any"], adding: "tcp/22") == ["tcp/any"])
        let eight = (1...8).map { "tcp/\($0)" }
        #expect(PortSpec.merge(eight, adding: "tcp/9") == ["any"])
        #expect(PortSpec.merge(eight, adding: "tcp/1") == eight)
    }
}

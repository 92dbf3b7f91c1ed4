import Domain
import Testing

@Suite struct RiskScoreTests {
    @Test func anEmptyClusterHasNoRisk() {
        #expect(RiskScore(RiskScore.Inputs()).score == 0)
    }

    @Test func everythingProtectedAndQuietIsZeroAndEverythingOpenIsForty() {
        var inputs = RiskScore.Inputs()
        inputs.workloadsByMode = [.protect: 10]
        #expect(RiskScore(inputs).score == 0)
        inputs.workloadsByMode = [.discover: 10]
        #expect(RiskScore(inputs).score == 40)
        inputs.workloadsByMode = [.monitor: 5, .protect: 5]
        #expect(RiskScore(inputs).exposure == 10)
    }

    @Test func eachFactorIsCappedAndTheSumNeverPassesHundred() {
        var inputs = RiskScore.Inputs()
        inputs.unmanagedWorkloads = 3
        inputs.violationsBySeverity = [.critical: 1000]
        inputs.severeThreats = 50
        inputs.enforcers = 4
        inputs.unhealthyEnforcers = 9
        let risk = RiskScore(inputs)
        #expect(risk.violations == 30)
        #expect(risk.threats == 20)
        #expect(risk.enforcerHealth == 10)
        #expect(risk.score == 100)
    }

    @Test func factorsFollowTheDocumentedWeights() {
        var inputs = RiskScore.Inputs()
        inputs.workloadsByMode = [.protect: 3, .discover: 1]
        inputs.violationsBySeverity = [.high: 2, .low: 5]
        inputs.otherThreats = 2
        inputs.enforcers = 4
        inputs.unhealthyEnforcers = 1
        let risk = RiskScore(inputs)
        #expect(risk.exposure == 10)
        #expect(risk.violations == 3.5)
        #expect(risk.threats == 2)
        #expect(risk.enforcerHealth == 2.5)
        #expect(risk.score == 18)
    }
}

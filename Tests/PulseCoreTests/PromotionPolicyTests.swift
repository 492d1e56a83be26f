import PulseContracts
import PulseCore
import Testing

/// The policy as a table of cases. Every expected number is hand arithmetic on the inputs (a difference of two
/// decimals chosen to be exact enough that no rounding decides a case).
@Suite("Promotion policy")
struct PromotionPolicyTests {
    static let classifier: [String: Double] = [
        "auc": 0.75, "logLoss": 0.45, "accuracy": 0.8, "precision": 0.6, "recall": 0.5, "f1": 0.5454, "brier": 0.15, "count": 1000, "positives": 200,
    ]
    static let regressor: [String: Double] = ["rmse": 10.5, "mae": 7.25, "r2": 0.3, "count": 500]

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let policy: PromotionPolicy
        let candidate: [String: Double]
        let champion: [String: Double]?
        let outcome: PromotionPolicy.Outcome
        /// (rule, metric, passed) for every check, in order.
        let checks: [(PromotionPolicy.Check.Rule, String, Bool)]
        let reasonContains: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "defaults, classifier, no champion", policy: PromotionPolicy(), candidate: classifier, champion: nil, outcome: .promote,
             checks: [(.minimum, "auc", true), (.regression, "auc", true)], reasonContains: "no production model to compare auc with"),
        Case(name: "defaults, auc below 0.6", policy: PromotionPolicy(), candidate: classifier.merging(["auc": 0.59]) { $1 }, champion: nil,
             outcome: .reject, checks: [(.minimum, "auc", false), (.regression, "auc", true)],
             reasonContains: "candidate auc 0.59 is below the minimum 0.6"),
        Case(name: "maximum logLoss exceeded", policy: PromotionPolicy(minimums: ["auc": 0.7], maximums: ["logLoss": 0.4]), candidate: classifier,
             champion: nil, outcome: .reject, checks: [(.minimum, "auc", true), (.maximum, "logLoss", false), (.regression, "auc", true)],
             reasonContains: "candidate logLoss 0.45 is above the maximum 0.4"),
        // 0.80 − 0.75 = 0.05 behind, 0.01 allowed.
        Case(name: "auc regression beyond the allowance", policy: PromotionPolicy(minimums: [:], compareOn: "auc", maxRegression: 0.01),
             candidate: classifier, champion: classifier.merging(["auc": 0.8]) { $1 }, outcome: .reject, checks: [(.regression, "auc", false)],
             reasonContains: "candidate auc 0.75 is 0.05 worse than the champion's 0.8"),
        Case(name: "auc regression within the allowance", policy: PromotionPolicy(minimums: [:], compareOn: "auc", maxRegression: 0.1),
             candidate: classifier, champion: classifier.merging(["auc": 0.8]) { $1 }, outcome: .promote, checks: [(.regression, "auc", true)],
             reasonContains: "vs champion 0.8"),
        // Lower is better: 10.5 − 10.0 = 0.5 behind, 0.4 allowed.
        Case(name: "regressor, rmse worse than the champion", policy: PromotionPolicy(maxRegression: 0.4), candidate: regressor,
             champion: regressor.merging(["rmse": 10.0]) { $1 }, outcome: .reject, checks: [(.regression, "rmse", false)],
             reasonContains: "candidate rmse 10.5 is 0.5 worse than the champion's 10.0"),
        Case(name: "regressor, rmse better than the champion", policy: PromotionPolicy(maximums: ["mae": 8]), candidate: regressor,
             champion: regressor.merging(["rmse": 12.0]) { $1 }, outcome: .promote, checks: [(.maximum, "mae", true), (.regression, "rmse", true)],
             reasonContains: "candidate mae 7.25 ≤ maximum 8.0"),
        Case(name: "a rule on a metric the candidate lacks", policy: PromotionPolicy(minimums: ["r2": 0.1]), candidate: classifier, champion: nil,
             outcome: .reject, checks: [(.minimum, "r2", false), (.regression, "auc", true)], reasonContains: "the candidate has no r2"),
        Case(name: "the champion lacks the compared metric", policy: PromotionPolicy(minimums: [:], compareOn: "auc"), candidate: classifier,
             champion: regressor, outcome: .reject, checks: [(.regression, "auc", false)], reasonContains: "the champion has no auc"),
        Case(name: "approval required", policy: PromotionPolicy(requireApproval: true), candidate: classifier, champion: classifier,
             outcome: .awaitApproval, checks: [(.minimum, "auc", true), (.regression, "auc", true)], reasonContains: "waiting for approval"),
        Case(name: "approval required but a rule fails", policy: PromotionPolicy(minimums: ["recall": 0.6], requireApproval: true),
             candidate: classifier, champion: nil, outcome: .reject, checks: [(.minimum, "recall", false), (.regression, "auc", true)],
             reasonContains: "candidate recall 0.5 is below the minimum 0.6"),
    ]

    @Test(arguments: cases)
    func decides(_ example: Case) {
        let decision = example.policy.decide(candidate: example.candidate, champion: example.champion)
        #expect(decision.outcome == example.outcome)
        #expect(decision.checks.map(\.rule) == example.checks.map(\.0))
        #expect(decision.checks.map(\.metric) == example.checks.map(\.1))
        #expect(decision.checks.map(\.passed) == example.checks.map(\.2))
        #expect(decision.reason.contains(example.reasonContains), "\(decision.reason)")
    }

    @Test func checksCarryTheNumbers() throws {
        let policy = PromotionPolicy(minimums: ["auc": 0.7], compareOn: "auc", maxRegression: 0.01)
        let decision = policy.decide(candidate: Self.classifier, champion: ["auc": 0.8])
        let regression = try #require(decision.checks.last)
        #expect(regression.candidate == 0.75)
        #expect(regression.champion == 0.8)
        #expect(abs((regression.regression ?? 0) - 0.05) < 1e-12)
        #expect(regression.threshold == 0.01)
        let minimum = try #require(decision.checks.first)
        #expect(minimum.candidate == 0.75 && minimum.threshold == 0.7 && minimum.passed)
    }

    @Test func theFirstVersionsFieldsAreAliases() {
        let aliased = PromotionPolicy(PromotionPolicyPayload(minAuc: 0.7, maxAucRegression: 0.02))
        #expect(aliased == PromotionPolicy(minimums: ["auc": 0.7], compareOn: "auc", maxRegression: 0.02))
        #expect(PromotionPolicy(nil) == PromotionPolicy())
        // The defaults made concrete: what a decision records.
        #expect(PromotionPolicy().resolved(forMetrics: Self.classifier.keys) == PromotionPolicy(minimums: ["auc": 0.6], compareOn: "auc"))
        #expect(PromotionPolicy().resolved(forMetrics: Self.regressor.keys) == PromotionPolicy(minimums: [:], compareOn: "rmse"))
    }
}

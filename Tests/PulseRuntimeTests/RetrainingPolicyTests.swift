import PulseContracts
import PulseCore
import Testing

/// The retraining decision as a table of cases (hand-worked against the defaults: PSI 0.25, AUC decay 0.05 or
/// RMSE increase 10% on ≥ 200 feedback rows, 1,000 new rows, 168 hours of age, 6 hours of cooldown).
@Suite struct RetrainingPolicyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let signals: RetrainingPolicy.Signals
        let retrain: Bool
        let triggered: Set<String>
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "nothing measured", signals: .init(), retrain: false, triggered: []),
        Case(label: "PSI at the threshold", signals: .init(maxPsi: 0.25, driftedFeatures: ["temp"]), retrain: true, triggered: ["drift"]),
        Case(label: "PSI just below", signals: .init(maxPsi: 0.2499), retrain: false, triggered: []),
        Case(label: "outputs drifted, inputs stable", signals: .init(maxPsi: 0.05, predictionPsi: 0.3), retrain: true, triggered: ["drift"]),
        Case(label: "outputs just below", signals: .init(maxPsi: 0.05, predictionPsi: 0.2499), retrain: false, triggered: []),
        Case(label: "AUC decayed 0.06 on 200 rows", signals: .init(holdoutAuc: 0.80, liveAuc: 0.74, feedbackCount: 200), retrain: true, triggered: ["performance"]),
        Case(label: "AUC decayed 0.06 on 199 rows", signals: .init(holdoutAuc: 0.80, liveAuc: 0.74, feedbackCount: 199), retrain: false, triggered: []),
        Case(label: "AUC decayed 0.04", signals: .init(holdoutAuc: 0.80, liveAuc: 0.76, feedbackCount: 500), retrain: false, triggered: []),
        // A regressor: live RMSE 44 against holdout 40 is +10% (allowed, the bound is strict); 44.4 is +11%.
        Case(label: "RMSE up 10%", signals: .init(holdoutRmse: 40, liveRmse: 44, feedbackCount: 200), retrain: false, triggered: []),
        Case(label: "RMSE up 11%", signals: .init(holdoutRmse: 40, liveRmse: 44.4, feedbackCount: 200), retrain: true, triggered: ["performance"]),
        Case(label: "RMSE up 11% on 199 rows", signals: .init(holdoutRmse: 40, liveRmse: 44.4, feedbackCount: 199), retrain: false, triggered: []),
        Case(label: "1,000 new rows", signals: .init(newRows: 1_000), retrain: true, triggered: ["new-data"]),
        Case(label: "a week old", signals: .init(modelAgeHours: 168), retrain: true, triggered: ["schedule"]),
        Case(label: "drift inside the cooldown", signals: .init(maxPsi: 1, hoursSinceLastRun: 5.9, lastRunId: "retrain_x"), retrain: false, triggered: ["drift", "cooldown"]),
        Case(label: "drift after the cooldown", signals: .init(maxPsi: 1, hoursSinceLastRun: 6, lastRunId: "retrain_x"), retrain: true, triggered: ["drift"]),
        Case(label: "cooldown alone", signals: .init(hoursSinceLastRun: 1), retrain: false, triggered: ["cooldown"]),
    ]

    @Test(arguments: cases)
    func decides(_ row: Case) {
        let decision = RetrainingPolicy().decide(row.signals)
        #expect(decision.retrain == row.retrain)
        #expect(Set(decision.reasons.filter(\.triggered).map(\.kind.rawValue)) == row.triggered)
        // Every consideration is recorded, fired or not, with its threshold.
        let kinds = decision.reasons.map(\.kind.rawValue)
        #expect(["drift", "performance", "new-data", "cooldown"].allSatisfy(kinds.contains))
        #expect(decision.reasons.allSatisfy { $0.threshold != nil })
    }

    @Test func reasonsCarryTheirNumbers() throws {
        let decision = RetrainingPolicy().decide(.init(maxPsi: 0.3, holdoutAuc: 0.8, liveAuc: 0.7, feedbackCount: 300, newRows: 12, modelAgeHours: 2))
        let performance = try #require(decision.reasons.first { $0.kind == .performance })
        #expect(abs((performance.value ?? 0) - 0.1) < 1e-12)
        #expect(performance.threshold == 0.05)
        #expect(decision.reasons.first { $0.kind == .newData }?.value == 12)
        #expect(decision.reasons.first { $0.kind == .drift }?.value == 0.3)

        let outputs = RetrainingPolicy().decide(.init(maxPsi: 0.05, predictionPsi: 0.3))
        let drift = try #require(outputs.reasons.first { $0.kind == .drift })
        #expect(drift.value == 0.3)
        #expect(drift.detail == "max PSI 0.3 vs threshold 0.25 (prediction); max feature PSI 0.05, prediction PSI 0.3", "\(drift.detail)")

        let regressor = RetrainingPolicy().decide(.init(holdoutRmse: 48.336325092541955, liveRmse: 60.420406365677444, feedbackCount: 300))
        let rmse = try #require(regressor.reasons.first { $0.kind == .performance })
        #expect(abs((rmse.value ?? 0) - 0.25) < 1e-12)  // 60.4204… / 48.3363… − 1 = 0.25 by construction
        #expect(rmse.threshold == 0.1)
        #expect(rmse.detail.contains("increase 25.0%"), "\(rmse.detail)")
    }

    @Test func requestOverridesOnlyWhatItSets() {
        var expected = RetrainingPolicy()
        expected.psiThreshold = 0.1
        expected.cooldownHours = 0
        #expect(RetrainingPolicy(RetrainingPolicyPayload(psiThreshold: 0.1, cooldownHours: 0)) == expected)
        #expect(RetrainingPolicy(nil) == RetrainingPolicy())
    }

    @Test func everyBadThresholdIsNamed() {
        let payload = CheckRetraining(
            modelName: "bad name", policy: RetrainingPolicyPayload(psiThreshold: 0, maxAucDecay: 2, minFeedback: 50, feedbackWindow: 10, maxModelAgeHours: .infinity))
        do {
            try payload.validate(pointer: "/payload")
            Issue.record("validation passed")
        } catch {
            #expect(error.errors?.map(\.pointer) == [
                "/payload/modelName", "/payload/policy/psiThreshold", "/payload/policy/maxAucDecay", "/payload/policy/minFeedback",
                "/payload/policy/maxModelAgeHours",
            ])
        }
    }

    /// One of the pair given, the other left at its default (minFeedback 200, feedbackWindow 1000): the window
    /// must still be able to hold enough feedback, and the field that was given is the one named.
    @Test func aFeedbackWindowThatCanNeverBeFilledIsNamedAgainstTheDefaults() {
        let cases: [(RetrainingPolicyPayload, String?)] = [
            (RetrainingPolicyPayload(minFeedback: 5_000), "/payload/policy/minFeedback"),
            (RetrainingPolicyPayload(feedbackWindow: 100), "/payload/policy/feedbackWindow"),
            (RetrainingPolicyPayload(minFeedback: 1_000), nil),
            (RetrainingPolicyPayload(feedbackWindow: 200), nil),
        ]
        for (policy, pointer) in cases {
            let problems = policy.problems(pointer: "/payload/policy")
            #expect(problems.map(\.pointer) == (pointer.map { [$0] } ?? []), "\(policy)")
        }
    }
}

import PulseML
import Testing

@Suite struct ClassificationMetricsTests {
    // 20 labels and scores with ties (0.4 ×3, 0.5 ×2, 0.35 ×2, 0.1 ×2) across classes.
    static let labels: [Float] = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1]
    static let scores: [Float] = [
        0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.6, 0.4, 0.7, 0.55, 0.3, 0.1, 0.95, 0.5, 0.5, 0.65, 0.05, 0.35, 0.75,
    ]

    // Known answers: scikit-learn 1.9.1 run once on the same data (scores as float32, threshold 0.5):
    // roc_auc_score, log_loss, accuracy_score, precision_score/recall_score/f1_score(zero_division=0),
    // brier_score_loss.
    @Test func matchesScikitLearn() {
        let metrics = ClassificationMetrics(labels: Self.labels, scores: Self.scores)
        #expect(metrics.count == 20)
        #expect(metrics.positives == 11)
        #expect(abs(metrics.auc - 0.8434343434343434) < 1e-12)
        #expect(abs(metrics.logLoss - 0.48383056063896124) < 1e-9)
        #expect(metrics.accuracy == 0.75)
        #expect(abs(metrics.precision - 0.8) < 1e-12)
        #expect(abs(metrics.recall - 0.7272727272727273) < 1e-12)
        #expect(abs(metrics.f1 - 0.7619047619047619) < 1e-12)
        #expect(abs(metrics.brier - 0.16337499991431842) < 1e-9)
    }

    // sklearn precision_score(..., zero_division=0) is 0 when nothing is predicted positive.
    @Test func undefinedRatiosAreZero() {
        let metrics = ClassificationMetrics(labels: Self.labels, scores: Self.scores, threshold: 2)
        #expect(metrics.precision == 0)
        #expect(metrics.recall == 0)
        #expect(metrics.f1 == 0)
    }

    // Hand computation: one class only → AUC undefined, reported as 0.5; perfect ranking → 1.
    @Test func edgeCases() {
        #expect(ClassificationMetrics(labels: [1, 1], scores: [0.2, 0.9]).auc == 0.5)
        #expect(ClassificationMetrics(labels: [0, 1], scores: [0.2, 0.9]).auc == 1)
        #expect(ClassificationMetrics(labels: [], scores: []).count == 0)
    }

    // Known answers: sklearn root of mean_squared_error, mean_absolute_error, r2_score on the same data.
    @Test func regressionMatchesScikitLearn() {
        let metrics = RegressionMetrics(targets: [3, -0.5, 2, 7], predictions: [2.5, 0, 2, 8])
        #expect(abs(metrics.rmse - 0.6123724356957945) < 1e-12)
        #expect(metrics.mae == 0.5)
        #expect(abs(metrics.r2 - 0.9486081370449679) < 1e-12)
    }
}

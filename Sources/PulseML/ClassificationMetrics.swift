import Foundation

/// Binary classification quality of scores against 0/1 labels (labels ≥ 0.5 count as positive).
///
/// Each value matches scikit-learn: `roc_auc_score`, `log_loss` (clipped at 1e-15), `accuracy_score`,
/// `precision_score`/`recall_score`/`f1_score` with `zero_division=0`, `brier_score_loss`.
public struct ClassificationMetrics: Codable, Sendable, Equatable {
    /// Area under the ROC curve by ranks, ties averaged; 0.5 when the labels hold a single class
    /// (where scikit-learn raises).
    public let auc: Double
    public let logLoss: Double
    public let accuracy: Double
    public let precision: Double
    public let recall: Double
    public let f1: Double
    public let brier: Double
    public let count: Int
    public let positives: Int

    /// Computes every metric; a score ≥ `threshold` predicts the positive class.
    /// Pairs with a NaN score or label are skipped. With no pairs, every metric is 0.
    public init(labels: [Float], scores: [Float], threshold: Double = 0.5) {
        let pairs = zip(labels, scores).compactMap { label, score -> (positive: Bool, score: Double)? in
            guard label.isFinite, score.isFinite else { return nil }
            return (label >= 0.5, Double(score))
        }
        let count = pairs.count
        let positives = pairs.filter(\.positive).count
        self.count = count
        self.positives = positives
        guard count > 0 else {
            (auc, logLoss, accuracy, precision, recall, f1, brier) = (0, 0, 0, 0, 0, 0, 0)
            return
        }

        auc = Self.rankAUC(pairs)

        let epsilon = 1e-15
        var logLossSum = 0.0
        var brierSum = 0.0
        var truePositives = 0
        var falsePositives = 0
        var trueNegatives = 0
        for pair in pairs {
            let p = min(max(pair.score, epsilon), 1 - epsilon)
            logLossSum -= pair.positive ? log(p) : log(1 - p)
            let y = pair.positive ? 1.0 : 0.0
            brierSum += (pair.score - y) * (pair.score - y)
            let predicted = pair.score >= threshold
            switch (predicted, pair.positive) {
            case (true, true): truePositives += 1
            case (true, false): falsePositives += 1
            case (false, false): trueNegatives += 1
            case (false, true): break
            }
        }
        logLoss = logLossSum / Double(count)
        brier = brierSum / Double(count)
        accuracy = Double(truePositives + trueNegatives) / Double(count)
        precision = truePositives + falsePositives == 0 ? 0 : Double(truePositives) / Double(truePositives + falsePositives)
        recall = positives == 0 ? 0 : Double(truePositives) / Double(positives)
        f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
    }

    /// Mann–Whitney U over average ranks: (Σ ranks of positives − P(P+1)/2) / (P·N).
    private static func rankAUC(_ pairs: [(positive: Bool, score: Double)]) -> Double {
        let positives = pairs.filter(\.positive).count
        let negatives = pairs.count - positives
        guard positives > 0, negatives > 0 else { return 0.5 }
        let sorted = pairs.sorted { $0.score < $1.score }
        var positiveRankSum = 0.0
        var start = 0
        while start < sorted.count {
            var end = start
            while end + 1 < sorted.count && sorted[end + 1].score == sorted[start].score { end += 1 }
            let averageRank = Double(start + end) / 2 + 1
            for index in start...end where sorted[index].positive { positiveRankSum += averageRank }
            start = end + 1
        }
        let p = Double(positives)
        return (positiveRankSum - p * (p + 1) / 2) / (p * Double(negatives))
    }
}

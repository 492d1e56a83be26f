import Foundation
import PulseContracts
import PulseML
import PulseStorage

/// How a model does on live traffic: the most recent feedback rows joined to the model's predictions.
///
/// Feedback has one row per prediction (`feedback.prediction_id` is unique and recording uses `ON CONFLICT DO
/// NOTHING`), so an outcome sent twice — in one request or in two — is counted once. The window is the last
/// `window` feedback rows by the time they were recorded.
struct LivePerformance: Codable {
    let modelId: String
    let modelName: String
    let window: Int
    /// Feedback rows in the window (≤ `window`).
    let feedbackCount: Int
    let positives: Int
    /// When the oldest and newest feedback of the window were recorded (nil without feedback).
    let from: String?
    let to: String?
    /// Metrics on the window's (score, outcome) pairs; nil without feedback. AUC is nil unless both outcomes
    /// are present (scikit-learn's roc_auc_score refuses a single class).
    let auc: Double?
    let accuracy: Double?
    let precision: Double?
    let recall: Double?
    let f1: Double?
    let logLoss: Double?
    let brier: Double?
    /// The model's holdout AUC at training time, and holdout − live.
    let holdoutAuc: Double?
    let aucDecay: Double?
    /// For a regression model (holdout metrics with an RMSE) the outcomes are targets, not 0/1 labels: RMSE, MAE
    /// and R² on the window, the holdout RMSE and the increase (live − holdout); the classification fields are nil.
    let rmse: Double?
    let mae: Double?
    let r2: Double?
    let holdoutRmse: Double?
    let rmseIncrease: Double?

    static func measure(modelId: String, modelName: String, tenant: String, window: Int, on database: PostgresConnection) throws -> LivePerformance {
        let rows = try database.execute(
            """
            SELECT p.score, f.outcome,
                   \(SQLTimestamp.iso8601("f.created_at")) AS at
            FROM feedback f JOIN predictions p ON p.id = f.prediction_id
            WHERE f.tenant_id = $1 AND p.model_id = $2
            ORDER BY f.created_at DESC, f.id DESC LIMIT $3
            """,
            [tenant, modelId, String(window)]
        )
        var labels: [Float] = []
        var scores: [Float] = []
        for row in rows.rows {
            labels.append(Float(try row.double("outcome")))
            scores.append(Float(try row.double("score")))
        }
        let holdoutText = try database.execute(
            "SELECT holdout_metrics::text AS metrics FROM models WHERE id = $1 AND tenant_id = $2", [modelId, tenant]
        ).rows.first?["metrics"]
        let holdout = try holdoutText.map { try JSONColumn.decode(ModelMetrics.self, $0) }
        let (from, to) = (rows.rows.last?["at"], rows.rows.first?["at"])
        if case .regression(let trained) = holdout {
            let live = labels.isEmpty ? nil : RegressionMetrics(targets: labels, predictions: scores)
            return LivePerformance(
                modelId: modelId, modelName: modelName, window: window, feedbackCount: labels.count, positives: 0, from: from, to: to,
                auc: nil, accuracy: nil, precision: nil, recall: nil, f1: nil, logLoss: nil, brier: nil, holdoutAuc: nil, aucDecay: nil,
                rmse: live?.rmse, mae: live?.mae, r2: live?.r2, holdoutRmse: trained.rmse, rmseIncrease: live.map { $0.rmse - trained.rmse }
            )
        }
        let metrics = labels.isEmpty ? nil : ClassificationMetrics(labels: labels, scores: scores)
        let bothOutcomes = metrics.map { $0.positives > 0 && $0.positives < $0.count } ?? false
        let auc = bothOutcomes ? metrics?.auc : nil
        return LivePerformance(
            modelId: modelId, modelName: modelName, window: window, feedbackCount: labels.count, positives: metrics?.positives ?? 0,
            from: from, to: to, auc: auc, accuracy: metrics?.accuracy,
            precision: metrics?.precision, recall: metrics?.recall, f1: metrics?.f1, logLoss: metrics?.logLoss, brier: metrics?.brier,
            holdoutAuc: holdout?.auc, aucDecay: holdout?.auc.flatMap { h in auc.map { h - $0 } },
            rmse: nil, mae: nil, r2: nil, holdoutRmse: nil, rmseIncrease: nil
        )
    }
}

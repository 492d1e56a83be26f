/// Holdout quality of a model, stored as a flat JSON object of numbers (`{"auc": …, "logLoss": …}` or
/// `{"rmse": …, "mae": …, "r2": …}`), so policies can read metrics by name.
public enum ModelMetrics: Codable, Sendable, Equatable {
    case classification(ClassificationMetrics)
    case regression(RegressionMetrics)

    /// The metrics that fit `objective`: classification for `binary:logistic`, regression otherwise.
    public init(objective: String, labels: [Float], scores: [Float]) {
        if objective == "binary:logistic" {
            self = .classification(ClassificationMetrics(labels: labels, scores: scores))
        } else {
            self = .regression(RegressionMetrics(targets: labels, predictions: scores))
        }
    }

    /// The holdout AUC of a classifier; nil for regression.
    public var auc: Double? {
        if case .classification(let metrics) = self { return metrics.auc }
        return nil
    }

    private enum Keys: String, CodingKey { case auc, rmse }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if container.contains(.rmse) {
            self = .regression(try RegressionMetrics(from: decoder))
        } else {
            self = .classification(try ClassificationMetrics(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .classification(let metrics): try metrics.encode(to: encoder)
        case .regression(let metrics): try metrics.encode(to: encoder)
        }
    }
}

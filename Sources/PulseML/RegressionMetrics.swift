import Foundation

/// Regression quality of predictions against targets; matches scikit-learn's
/// `root_mean_squared_error`, `mean_absolute_error` and `r2_score`.
public struct RegressionMetrics: Codable, Sendable, Equatable {
    public let rmse: Double
    public let mae: Double
    /// Coefficient of determination; 0 when the targets are constant (scikit-learn's
    /// `force_finite` behaviour gives 0 for an imperfect fit, 1 for a perfect one).
    public let r2: Double
    public let count: Int

    /// Pairs with a NaN target or prediction are skipped. With no pairs, every metric is 0.
    public init(targets: [Float], predictions: [Float]) {
        let pairs = zip(targets, predictions).compactMap { target, prediction -> (Double, Double)? in
            target.isFinite && prediction.isFinite ? (Double(target), Double(prediction)) : nil
        }
        count = pairs.count
        guard count > 0 else {
            (rmse, mae, r2) = (0, 0, 0)
            return
        }
        let n = Double(count)
        let mean = pairs.reduce(0) { $0 + $1.0 } / n
        let squared = pairs.reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let total = pairs.reduce(0) { $0 + ($1.0 - mean) * ($1.0 - mean) }
        rmse = (squared / n).squareRoot()
        mae = pairs.reduce(0) { $0 + abs($1.0 - $1.1) } / n
        r2 = total == 0 ? (squared == 0 ? 1 : 0) : 1 - squared / total
    }
}

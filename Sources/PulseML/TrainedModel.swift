import Foundation

/// A model that scores rows: what the scorer and the evaluator need, whatever trained it.
public protocol TrainedModel: Sendable {
    /// One value per row: P(label = 1) for classification, the predicted value for regression.
    func predict(_ features: DenseMatrix) throws -> [Float]
    /// The model file's bytes; the same model gives the same bytes.
    func serializedJSON() throws -> Data
}

extension Booster: TrainedModel {}

/// The learning algorithms Pulse trains, by the name a `StartTraining` request and a model manifest use.
public enum Algorithm: String, Codable, Sendable, CaseIterable {
    case xgboost
    case logisticRegression = "logistic-regression"

    /// Loads a model file this algorithm wrote.
    public func loadModel(json: Data) throws -> any TrainedModel {
        switch self {
        case .xgboost: try Booster.load(json: json)
        case .logisticRegression: try LogisticRegression.load(json: json)
        }
    }
}

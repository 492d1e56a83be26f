import Foundation

/// An L2-regularised logistic regression trained by liblinear, kept as Pulse's own JSON (weights, intercept and
/// the standardisation), so scoring needs neither liblinear nor its model file.
///
/// Inputs come from a `FeatureSpec`-encoded `DenseMatrix`: numeric, boolean and timestamp-part features are
/// standardised with the training mean and population standard deviation, then NaN becomes 0 (mean
/// imputation); a categorical feature becomes one 0/1 column per vocabulary entry (unseen or missing: all 0).
public struct LogisticRegression: TrainedModel, Codable, Equatable {
    /// How one matrix column becomes design columns.
    public struct Input: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable {
            case standardised
            case oneHot = "one-hot"
        }

        public let feature: String
        public let kind: Kind
        /// Training mean (standardised inputs).
        public let mean: Double?
        /// Training population standard deviation, or 1 when it is 0 (standardised inputs).
        public let scale: Double?
        /// Vocabulary size (one-hot inputs).
        public let categories: Int?

        var width: Int { kind == .oneHot ? categories ?? 0 : 1 }
    }

    /// Identifies the file format.
    public let format: String
    public let inputs: [Input]
    /// One weight per design column, in input order.
    public let weights: [Double]
    public let intercept: Double
    public let parameters: LogisticRegressionParameters

    public static let formatName = "pulse-logistic-regression/1"

    /// The linked liblinear version, such as "2.30".
    public static var libraryVersion: String { LinearSolver.libraryVersion }

    /// Trains on `features` encoded by `spec`; the same data and parameters give the same model bytes.
    /// - Parameter labels: one per row, 0 or 1, both present.
    public static func train(
        features: DenseMatrix, labels: [Float], spec: FeatureSpec, parameters: LogisticRegressionParameters
    ) throws -> LogisticRegression {
        let parameters = try parameters.validated()
        guard features.rows > 0, features.columns > 0 else {
            throw MLError(.invalidData, "training needs at least one row and one feature")
        }
        guard features.columns == spec.features.count else {
            throw MLError(.invalidData, "\(features.columns) matrix columns for \(spec.features.count) features")
        }
        guard labels.count == features.rows else {
            throw MLError(.invalidData, "\(labels.count) labels for \(features.rows) rows", field: "labels")
        }
        guard labels.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw MLError(.invalidData, "logistic regression needs labels 0 or 1", field: "labels")
        }
        let inputs = spec.features.indices.map { index in makeInput(spec.features[index], values: features.column(index)) }
        let width = inputs.reduce(0) { $0 + $1.width }
        var design = [Double]()
        design.reserveCapacity(features.rows * width)
        for row in 0..<features.rows { appendDesignRow(features, row: row, inputs: inputs, to: &design) }
        let solution = try LinearSolver.trainLogistic(
            design: design, rows: features.rows, columns: width, labels: labels.map(Double.init), c: parameters.c,
            eps: parameters.eps)
        return LogisticRegression(
            format: formatName, inputs: inputs, weights: solution.weights, intercept: solution.intercept, parameters: parameters)
    }

    /// Loads a model saved by `serializedJSON()`.
    public static func load(json: Data) throws -> LogisticRegression {
        let model: LogisticRegression
        do {
            model = try JSONDecoder().decode(LogisticRegression.self, from: json)
        } catch {
            throw MLError(.invalidModel, "the logistic regression model file could not be decoded")
        }
        guard model.format == formatName, model.weights.count == model.inputs.reduce(0, { $0 + $1.width }),
            model.inputs.allSatisfy({ $0.kind == .oneHot ? ($0.categories ?? -1) >= 0 : $0.mean != nil && $0.scale != nil })
        else { throw MLError(.invalidModel, "the logistic regression model file is inconsistent") }
        return model
    }

    /// Canonical JSON (sorted keys, shortest round-trip numbers): the same model gives the same bytes.
    public func serializedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The matrix's rows as design rows (what liblinear was trained on); for checks against other libraries.
    public func design(_ features: DenseMatrix) throws -> [[Double]] {
        try checkWidth(features)
        return (0..<features.rows).map { row in
            var values = [Double]()
            Self.appendDesignRow(features, row: row, inputs: inputs, to: &values)
            return values
        }
    }

    /// P(label = 1) per row.
    public func predict(_ features: DenseMatrix) throws -> [Float] {
        try checkWidth(features)
        var values = [Double]()
        return (0..<features.rows).map { row in
            values.removeAll(keepingCapacity: true)
            Self.appendDesignRow(features, row: row, inputs: inputs, to: &values)
            var z = intercept
            for (weight, value) in zip(weights, values) { z += weight * value }
            return Float(1 / (1 + exp(-z)))
        }
    }

    private func checkWidth(_ features: DenseMatrix) throws {
        guard features.columns == inputs.count else {
            throw MLError(.invalidData, "\(features.columns) matrix columns for a model of \(inputs.count) features")
        }
    }

    private static func makeInput(_ feature: FeatureSpec.Feature, values: [Float]) -> Input {
        if case .categorical(let vocabulary) = feature.encoding {
            return Input(feature: feature.name, kind: .oneHot, mean: nil, scale: nil, categories: vocabulary.count)
        }
        let finite = values.lazy.filter(\.isFinite).map(Double.init)
        let count = Double(finite.count)
        let mean = count > 0 ? finite.reduce(0, +) / count : 0
        let variance = count > 0 ? finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count : 0
        let deviation = variance.squareRoot()
        return Input(
            feature: feature.name, kind: .standardised, mean: mean, scale: deviation > 0 && deviation.isFinite ? deviation : 1,
            categories: nil)
    }

    private static func appendDesignRow(_ features: DenseMatrix, row: Int, inputs: [Input], to design: inout [Double]) {
        for (column, input) in inputs.enumerated() {
            let value = features[row, column]
            switch input.kind {
            case .standardised:
                design.append(value.isFinite ? (Double(value) - (input.mean ?? 0)) / (input.scale ?? 1) : 0)
            case .oneHot:
                let categories = input.categories ?? 0
                let start = design.count
                design.append(contentsOf: repeatElement(0, count: categories))
                if value.isFinite, value >= 0, let index = Int(exactly: value), index < categories { design[start + index] = 1 }
            }
        }
    }
}

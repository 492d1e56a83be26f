/// What the training data and the model's outputs looked like; drift is measured against it.
public struct ReferenceProfile: Codable, Sendable, Equatable {
    public let features: [FeatureProfile]
    /// The distribution of the model's predictions on the reference rows.
    public let prediction: NumericBins
    public let rows: Int

    public init(features: [FeatureProfile], prediction: NumericBins, rows: Int) {
        self.features = features
        self.prediction = prediction
        self.rows = rows
    }

    /// Profiles `matrix` (encoded with `spec`) and the model's `predictions` on it.
    ///
    /// Numeric and boolean features get `bins`-quantile edges (distinct quantiles of the data);
    /// categorical ones the share of each vocabulary value.
    public static func build(spec: FeatureSpec, matrix: DenseMatrix, predictions: [Float], bins: Int = 10) -> ReferenceProfile {
        let features = spec.features.enumerated().compactMap { index, feature -> FeatureProfile? in
            guard index < matrix.columns else { return nil }
            return profile(feature, values: matrix.column(index), bins: bins)
        }
        let prediction = NumericBins.reference(predictions.map(Double.init), bins: bins)
        return ReferenceProfile(features: features, prediction: prediction, rows: matrix.rows)
    }

    static func profile(_ feature: FeatureSpec.Feature, values: [Float], bins: Int) -> FeatureProfile {
        let total = Double(values.count)
        switch feature.encoding {
        case .numeric, .boolean, .timestampPart:
            let numericBins = NumericBins.reference(values.map(Double.init), bins: bins)
            let present = values.filter { !$0.isNaN }.count
            return FeatureProfile(
                name: feature.name, kind: .numeric, bins: numericBins, categories: nil,
                missing: numericBins.missing, count: present)
        case .categorical(let vocabulary):
            let counts = categoryCounts(values, vocabulary: vocabulary)
            var categories = [String: Double]()
            for (index, name) in vocabulary.enumerated() {
                categories[name] = total == 0 ? 0 : Double(counts[index]) / total
            }
            let present = counts.reduce(0, +)
            return FeatureProfile(
                name: feature.name, kind: .categorical, bins: nil, categories: categories,
                missing: total == 0 ? 0 : Double(values.count - present) / total, count: present)
        }
    }

    /// Counts per vocabulary index; values that are not a valid index are not counted.
    static func categoryCounts(_ values: [Float], vocabulary: [String]) -> [Int] {
        var counts = [Int](repeating: 0, count: vocabulary.count)
        for value in values where value.isFinite && value >= 0 && value < Float(vocabulary.count) {
            counts[Int(value)] += 1
        }
        return counts
    }
}

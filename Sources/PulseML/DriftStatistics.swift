import Foundation

/// The statistics that measure drift.
public enum DriftStatistics {
    /// Population stability index Σ (aᵢ − eᵢ)·ln(aᵢ / eᵢ) over two vectors of proportions.
    ///
    /// A proportion below `epsilon` (an empty bin) counts as `epsilon`; a shorter vector is padded with zeros.
    public static func psi(expected: [Double], actual: [Double], epsilon: Double = 1e-4) -> Double {
        let length = max(expected.count, actual.count)
        var total = 0.0
        for index in 0..<length {
            let e = max(index < expected.count ? expected[index] : 0, epsilon)
            let a = max(index < actual.count ? actual[index] : 0, epsilon)
            total += (a - e) * log(a / e)
        }
        return total
    }

    /// Two-sample Kolmogorov–Smirnov statistic D = sup |F_a − F_b| (scipy.stats.ks_2samp's statistic).
    /// NaNs are ignored; 0 if either sample is empty.
    public static func ksStatistic(_ a: [Double], _ b: [Double]) -> Double {
        let a = a.filter { !$0.isNaN }.sorted()
        let b = b.filter { !$0.isNaN }.sorted()
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var i = 0
        var j = 0
        var distance = 0.0
        while i < a.count && j < b.count {
            let x = min(a[i], b[j])
            while i < a.count && a[i] <= x { i += 1 }
            while j < b.count && b[j] <= x { j += 1 }
            distance = max(distance, abs(Double(i) / Double(a.count) - Double(j) / Double(b.count)))
        }
        return distance
    }

    /// Jensen–Shannon divergence in bits (0…1) between two distributions, each normalised to sum 1
    /// (the square of scipy.spatial.distance.jensenshannon with base=2). 0 if either sums to 0.
    public static func jensenShannon(_ p: [Double], _ q: [Double]) -> Double {
        let length = max(p.count, q.count)
        let p = (0..<length).map { $0 < p.count ? max(p[$0], 0) : 0 }
        let q = (0..<length).map { $0 < q.count ? max(q[$0], 0) : 0 }
        let pSum = p.reduce(0, +)
        let qSum = q.reduce(0, +)
        guard pSum > 0, qSum > 0 else { return 0 }
        var divergence = 0.0
        for index in 0..<length {
            let pi = p[index] / pSum
            let qi = q[index] / qSum
            let mi = (pi + qi) / 2
            if pi > 0 { divergence += 0.5 * pi * log2(pi / mi) }
            if qi > 0 { divergence += 0.5 * qi * log2(qi / mi) }
        }
        return max(divergence, 0)
    }

    /// Compares a window of live rows (encoded with `spec`) and, optionally, the model's predictions on
    /// them with the reference profile.
    ///
    /// Numeric features are binned with the reference edges (PSI, KS); categorical ones compared by
    /// category share (PSI, Jensen–Shannon). Missing values form one more bin. Features of the profile
    /// that are not in `spec` are skipped. An empty window gives PSI 0.
    public static func compare(
        reference: ReferenceProfile, spec: FeatureSpec, window: DenseMatrix, predictions: [Float]?
    ) -> DriftReport {
        let features = reference.features.compactMap { profile -> FeatureDrift? in
            guard let index = spec.features.firstIndex(where: { $0.name == profile.name }), index < window.columns
            else { return nil }
            return drift(profile, feature: spec.features[index], values: window.column(index))
        }
        var prediction: FeatureDrift?
        if let predictions {
            prediction = numericDrift(
                name: "prediction", bins: reference.prediction, values: predictions.map(Double.init))
        }
        return DriftReport(
            features: features, prediction: prediction, windowRows: window.rows, referenceRows: reference.rows)
    }

    static func drift(_ profile: FeatureProfile, feature: FeatureSpec.Feature, values: [Float]) -> FeatureDrift {
        switch (profile.kind, profile.bins, profile.categories) {
        case (.numeric, let bins?, _):
            return numericDrift(name: profile.name, bins: bins, values: values.map(Double.init))
        case (.categorical, _, let categories?):
            guard !values.isEmpty else { return FeatureDrift(name: profile.name, psi: 0, ks: nil, jensenShannon: nil) }
            let names = categories.keys.sorted()
            let vocabulary: [String]
            if case .categorical(let words) = feature.encoding { vocabulary = words } else { vocabulary = [] }
            let counts = ReferenceProfile.categoryCounts(values, vocabulary: vocabulary)
            var windowShares = [String: Double]()
            for (index, word) in vocabulary.enumerated() { windowShares[word] = Double(counts[index]) / Double(values.count) }
            let actualCategories = names.map { windowShares[$0] ?? 0 }
            let actual = actualCategories + [max(1 - actualCategories.reduce(0, +), 0)]
            let expected = names.map { categories[$0] ?? 0 } + [profile.missing]
            return FeatureDrift(
                name: profile.name, psi: psi(expected: expected, actual: actual), ks: nil,
                jensenShannon: jensenShannon(expected, actual))
        default:
            return FeatureDrift(name: profile.name, psi: 0, ks: nil, jensenShannon: nil)
        }
    }

    static func numericDrift(name: String, bins: NumericBins, values: [Double]) -> FeatureDrift {
        guard !values.isEmpty else { return FeatureDrift(name: name, psi: 0, ks: nil, jensenShannon: nil) }
        let actual = bins.distribution(of: values)
        let present = values.filter { !$0.isNaN }
        let ks = bins.quantiles.flatMap { present.isEmpty ? nil : ksStatistic($0, present) }
        return FeatureDrift(name: name, psi: psi(expected: bins.distribution, actual: actual), ks: ks, jensenShannon: nil)
    }
}

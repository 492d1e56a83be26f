import Foundation

/// The statistics that measure drift.
public enum DriftStatistics {
    /// The share that stands in for an empty bin in the PSI.
    public static let emptyBinShare = 1e-4

    /// Population stability index Σ (aᵢ − eᵢ)·ln(aᵢ / eᵢ) over two vectors of proportions.
    ///
    /// An empty bin (share exactly 0, on either side) counts as `epsilon` = 0.0001 and the shares are not
    /// renormalised: Evidently's `psi` stat test does exactly this (`np.place(p, p == 0, 0.0001)` in
    /// `get_binned_data`), and it is the usual textbook fix for ln(0). A shorter vector is padded with zeros.
    public static func psi(expected: [Double], actual: [Double], epsilon: Double = emptyBinShare) -> Double {
        let length = max(expected.count, actual.count)
        var total = 0.0
        for index in 0..<length {
            let e = smoothed(index < expected.count ? expected[index] : 0, epsilon)
            let a = smoothed(index < actual.count ? actual[index] : 0, epsilon)
            total += (a - e) * log(a / e)
        }
        return total
    }

    private static func smoothed(_ share: Double, _ epsilon: Double) -> Double { share > 0 ? share : epsilon }

    /// Two-sample Kolmogorov–Smirnov statistic D = sup |F_a − F_b| (scipy.stats.ks_2samp's statistic).
    /// NaNs are ignored; 0 if either sample is empty.
    public static func ksStatistic(_ a: [Double], _ b: [Double]) -> Double {
        let a = a.filter { !$0.isNaN }.sorted()
        var values: [Double] = []
        var counts: [Int] = []
        for value in a {
            if values.last == value { counts[counts.count - 1] += 1 } else {
                values.append(value)
                counts.append(1)
            }
        }
        return ksStatistic(distinct: values, counts: counts, b)
    }

    /// The KS statistic between a sample given as ascending distinct values with their counts (a reference
    /// profile's) and a plain sample `b` (NaNs ignored); 0 if either is empty.
    public static func ksStatistic(distinct: [Double], counts: [Int], _ b: [Double]) -> Double {
        let b = b.filter { !$0.isNaN }.sorted()
        let total = counts.reduce(0, +)
        guard total > 0, !b.isEmpty, distinct.count == counts.count else { return 0 }
        var i = 0
        var j = 0
        var below = 0
        var distance = 0.0
        // Both empirical CDFs are evaluated at every point of either sample; once one sample is used up its CDF
        // is 1 and the other only climbs towards it, so the supremum has been seen.
        while i < distinct.count && j < b.count {
            let x = min(distinct[i], b[j])
            while i < distinct.count && distinct[i] <= x {
                below += counts[i]
                i += 1
            }
            while j < b.count && b[j] <= x { j += 1 }
            distance = max(distance, abs(Double(below) / Double(total) - Double(j) / Double(b.count)))
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
    /// that are not in `spec` are skipped. A window of fewer than `minimumRows` rows gets the
    /// `insufficient-data` report: counts, no statistics.
    public static func compare(
        reference: ReferenceProfile, spec: FeatureSpec, window: DenseMatrix, predictions: [Float]?, minimumRows: Int = 1
    ) -> DriftReport {
        guard window.rows >= max(minimumRows, 1) else {
            return .insufficient(windowRows: window.rows, referenceRows: reference.rows, minimumRows: minimumRows)
        }
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
            features: features, prediction: prediction, windowRows: window.rows, referenceRows: reference.rows,
            minimumRows: minimumRows)
    }

    static func drift(_ profile: FeatureProfile, feature: FeatureSpec.Feature, values: [Float]) -> FeatureDrift {
        switch (profile.kind, profile.bins, profile.categories) {
        case (.numeric, let bins?, _):
            return numericDrift(name: profile.name, bins: bins, values: values.map(Double.init))
        case (.categorical, _, let categories?):
            guard !values.isEmpty else { return FeatureDrift(name: profile.name, psi: 0) }
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
                name: profile.name, psi: psi(expected: expected, actual: actual),
                jensenShannon: jensenShannon(expected, actual), windowCount: counts.reduce(0, +))
        default:
            return FeatureDrift(name: profile.name, psi: 0)
        }
    }

    /// PSI over the reference bins and the KS statistic: exact against the reference's distinct values when
    /// it kept them, else against its 101-point quantile sketch. The sketch's empirical CDF is within
    /// 1/100 + 1/101 of the reference's at every point (each quantile step holds 1% of the rows), so the
    /// sketched statistic is within about 0.02 of the exact one (`DriftStatisticsTests` checks it).
    static func numericDrift(name: String, bins: NumericBins, values: [Double]) -> FeatureDrift {
        let present = values.filter { !$0.isNaN }
        guard !values.isEmpty else { return FeatureDrift(name: name, psi: 0) }
        let actual = bins.distribution(of: values)
        var ks: Double?
        var exact: Bool?
        if !present.isEmpty {
            if let distinct = bins.distinct, let counts = bins.distinctCounts {
                ks = ksStatistic(distinct: distinct, counts: counts, present)
                exact = true
            } else if let quantiles = bins.quantiles {
                ks = ksStatistic(quantiles, present)
                exact = false
            }
        }
        return FeatureDrift(
            name: name, psi: psi(expected: bins.distribution, actual: actual), ks: ks, ksExact: exact, windowCount: present.count)
    }
}

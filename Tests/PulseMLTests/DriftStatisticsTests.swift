import Foundation
import PulseML
import Testing

@Suite struct DriftStatisticsTests {
    // Known answer: numpy, np.sum((a - e) * np.log(a / e)) after np.maximum(., 1e-4).
    @Test func psiSmoothsEmptyBins() {
        let psi = DriftStatistics.psi(expected: [0.25, 0.25, 0.5, 0], actual: [0.1, 0.3, 0.4, 0.2])
        #expect(abs(psi - 1.6882944444147043) < 1e-12)
        #expect(DriftStatistics.psi(expected: [0.5, 0.5], actual: [0.5, 0.5]) == 0)
    }

    // Known answers: scipy.stats.ks_2samp(a, b).statistic (scipy 1.17.1).
    @Test func ksMatchesScipy() {
        let a = [0.1, 0.5, 0.5, 1.2, 2.0, 2.5, 3.0, 3.0, 4.1, 5.0]
        let b = [0.4, 0.5, 1.0, 1.1, 3.0, 3.5, 6.0, 7.2]
        #expect(abs(DriftStatistics.ksStatistic(a, b) - 0.25) < 1e-12)
        #expect(abs(DriftStatistics.ksStatistic([1, 2, 2, 3, 5], [2, 2, 4]) - 0.2) < 1e-12)
        #expect(DriftStatistics.ksStatistic(a, a) == 0)
    }

    // Known answer: scipy.spatial.distance.jensenshannon(p, q, base=2) ** 2.
    @Test func jensenShannonMatchesScipy() {
        let js = DriftStatistics.jensenShannon([0.25, 0.25, 0.5, 0], [0.1, 0.3, 0.4, 0.2])
        #expect(abs(js - 0.12961136541747656) < 1e-12)
    }

    // Known answers: np.quantile(present, [0.1 … 0.9]) deduplicated, then np.searchsorted(edges, v, 'left')
    // for the bin of each value (bins closed on the right), shares over all rows incl. NaN.
    @Test func referenceEdgesAreDistinctDeciles() {
        let bins = NumericBins.reference([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, .nan, .nan])
        #expect(bins.edges == [2.1, 3.2, 4.3, 5.4, 6.5, 7.6, 8.7, 9.8, 10.0].map { $0 })
        let expected = [2.0, 1, 1, 1, 1, 1, 1, 1, 3, 0].map { $0 / 14 }
        #expect(zip(bins.proportions, expected).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(abs(bins.missing - 2.0 / 14) < 1e-12)
        #expect(bins.quantiles?.count == 101)
    }

    // Known answers: the numpy computation above applied to the window, PSI as in psiSmoothsEmptyBins;
    // categorical: shares [.5,.25,.25,0] vs [.25,.5,0,.25] (last = missing) through the same PSI and
    // scipy's jensenshannon(base=2) ** 2.
    @Test func compareBinsTheWindowWithReferenceEdges() throws {
        let spec = FeatureSpec(
            features: [.init(name: "x", encoding: .numeric), .init(name: "c", encoding: .categorical(vocabulary: ["a", "b", "c"]))],
            label: "y")
        let referenceX: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, .nan, .nan]
        // The categorical reference is exactly {a: .5, b: .25, c: .25} over its own 4 rows.
        let categorical = DenseMatrix(rows: 4, columns: 1, values: [0, 0, 1, 2])
        let categoricalSpec = FeatureSpec(features: [spec.features[1]], label: "y")
        let profileC = ReferenceProfile.build(spec: categoricalSpec, matrix: categorical, predictions: [0.1, 0.2, 0.3, 0.4])
        let profileX = ReferenceProfile.build(
            spec: FeatureSpec(features: [spec.features[0]], label: "y"),
            matrix: DenseMatrix(rows: referenceX.count, columns: 1, values: referenceX), predictions: [])
        let profile = ReferenceProfile(features: profileX.features + profileC.features, prediction: profileC.prediction, rows: 14)

        let windowX: [Float] = [1, 1, 2, 5, 5, 5, 11, .nan]
        let windowC: [Float] = [0, 1, 1, .nan, 0, 1, 1, .nan]  // a .25, b .5, c 0, missing .25
        var window = DenseMatrix(columns: 2)
        for (x, c) in zip(windowX, windowC) { window.append(row: [x, c]) }

        let report = DriftStatistics.compare(reference: profile, spec: spec, window: window, predictions: [0.1, 0.2])
        #expect(report.windowRows == 8)
        #expect(report.referenceRows == 14)
        let x = try #require(report.features.first { $0.name == "x" })
        #expect(abs(x.psi - 6.075564456910883) < 1e-9)
        #expect(x.level == "significant")
        #expect(x.ks != nil)
        #expect(x.jensenShannon == nil)
        let c = try #require(report.features.first { $0.name == "c" })
        #expect(abs(c.psi - 4.257031786505947) < 1e-9)
        #expect(abs((c.jensenShannon ?? 0) - 0.3112781244591328) < 1e-12)
        #expect(report.prediction?.name == "prediction")
    }

    // Hand computation: identical window → PSI 0, KS 0 against the percentile sketch's exact values.
    @Test func sameDistributionHasNoDrift() throws {
        let spec = FeatureSpec(features: [.init(name: "x", encoding: .numeric)], label: "y")
        let values = (0..<1000).map { Float($0) }
        let matrix = DenseMatrix(rows: 1000, columns: 1, values: values)
        let profile = ReferenceProfile.build(spec: spec, matrix: matrix, predictions: values.map { $0 / 1000 })
        let report = DriftStatistics.compare(
            reference: profile, spec: spec, window: matrix, predictions: values.map { $0 / 1000 })
        let x = try #require(report.features.first)
        #expect(abs(x.psi) < 1e-12)
        #expect(x.level == "none")
        #expect((x.ks ?? 1) <= 0.011)
        #expect(abs(report.prediction?.psi ?? 1) < 1e-12)
        // The profile survives JSON.
        let decoded = try JSONDecoder().decode(ReferenceProfile.self, from: JSONEncoder().encode(profile))
        #expect(decoded == profile)
    }
}

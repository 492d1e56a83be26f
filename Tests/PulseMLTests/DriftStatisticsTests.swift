import Foundation
import PulseML
import Testing

@Suite struct DriftStatisticsTests {
    // Known answers: numpy 2.4.6, np.place(p, p == 0, 0.0001) on both vectors (Evidently's smoothing of empty
    // bins), then np.sum((a - e) * np.log(a / e)). A share that is small but not zero is kept as it is.
    @Test func psiSmoothsEmptyBins() {
        let psi = DriftStatistics.psi(expected: [0.25, 0.25, 0.5, 0], actual: [0.1, 0.3, 0.4, 0.2])
        #expect(abs(psi - 1.6882944444147043) < 1e-12)
        #expect(DriftStatistics.psi(expected: [0.5, 0.5], actual: [0.5, 0.5]) == 0)
        let tiny = DriftStatistics.psi(expected: [0.5, 0.49995, 0.00005], actual: [0.5, 0.5, 0])
        #expect(abs(tiny - 3.466235927801393e-05) < 1e-15)
    }

    // Known answer: scipy 1.17.1, ks_2samp([1, 1, 1, 2, 3, 3], [0.5, 1, 2.5, 3, 4]).statistic = 0.2666…;
    // the reference given as distinct values with counts gives the same.
    @Test func ksFromDistinctValuesAndCounts() {
        let window = [0.5, 1, 2.5, 3, 4]
        #expect(abs(DriftStatistics.ksStatistic(distinct: [1, 2, 3], counts: [3, 1, 2], window) - 0.26666666666666666) < 1e-12)
        #expect(abs(DriftStatistics.ksStatistic([1, 1, 1, 2, 3, 3], window) - 0.26666666666666666) < 1e-12)
    }

    // The quantile sketch's bound, checked against the exact statistic (itself checked against scipy above) on
    // 30,000 distinct reference values — more than a profile keeps — and shifted windows: within 0.02.
    @Test func ksSketchStaysWithinItsBound() {
        var state: UInt64 = 42
        func next() -> Double {  // 64-bit LCG (Knuth's MMIX constants), uniform in [0, 1)
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(UInt64(1) << 53)
        }
        let reference = (0..<30_000).map { _ in next() * next() * 10 }
        let bins = NumericBins.reference(reference)
        #expect(bins.distinct == nil)
        let sketch = bins.quantiles
        for shift in [0.0, 0.3, 1.0, 3.0] {
            let window = (0..<5_000).map { _ in next() * next() * 10 + shift }
            let exact = DriftStatistics.ksStatistic(reference, window)
            let sketched = DriftStatistics.ksStatistic(sketch ?? [], window)
            #expect(abs(exact - sketched) <= 0.02, "shift \(shift): exact \(exact), sketch \(sketched)")
        }
        // Below the limit the profile keeps every distinct value: the statistic is exact.
        let small = NumericBins.reference([3, 1, 2, 2, .nan, 3, 3])
        #expect(small.distinct == [1, 2, 3])
        #expect(small.distinctCounts == [1, 2, 3])
    }

    // Hand computation: a window below the minimum gets the insufficient-data report with its counts only.
    @Test func tooSmallAWindowGetsNoVerdict() {
        let spec = FeatureSpec(features: [.init(name: "x", encoding: .numeric)], label: "y")
        let reference = ReferenceProfile.build(spec: spec, matrix: DenseMatrix(rows: 3, columns: 1, values: [1, 2, 3]), predictions: [0.1, 0.2, 0.3])
        let report = DriftStatistics.compare(
            reference: reference, spec: spec, window: DenseMatrix(rows: 2, columns: 1, values: [9, 9]), predictions: [0.9, 0.9], minimumRows: 3)
        #expect(report.verdict == .insufficientData)
        #expect(report.features.isEmpty && report.prediction == nil && report.maxPsi == nil)
        #expect(report.windowRows == 2 && report.referenceRows == 3 && report.minimumRows == 3)
    }

    // The PSI convention: < 0.1 stable, 0.1 to < 0.25 moderate, ≥ 0.25 significant; the overall verdict is the worst.
    @Test(arguments: [(0.0, DriftVerdict.stable), (0.0999, .stable), (0.1, .moderate), (0.2499, .moderate), (0.25, .significant), (3, .significant)])
    func verdictFollowsThePSIConvention(psi: Double, verdict: DriftVerdict) {
        #expect(DriftVerdict(psi: psi) == verdict)
        let report = DriftReport(features: [FeatureDrift(name: "a", psi: 0.01), FeatureDrift(name: "b", psi: psi)], prediction: nil, windowRows: 100, referenceRows: 100)
        #expect(report.verdict == max(verdict, .stable))
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
        #expect(x.verdict == .significant)
        // scipy 1.17.1: ks_2samp([1, …, 10, 10, 10], [1, 1, 2, 5, 5, 5, 11]).statistic (NaNs dropped).
        #expect(abs((x.ks ?? 0) - 0.44047619047619047) < 1e-12)
        #expect(x.ksExact == true)
        #expect(x.jensenShannon == nil)
        let c = try #require(report.features.first { $0.name == "c" })
        #expect(abs(c.psi - 4.257031786505947) < 1e-9)
        #expect(abs((c.jensenShannon ?? 0) - 0.3112781244591328) < 1e-12)
        #expect(report.prediction?.name == "prediction")
    }

    // Hand computation: identical window → PSI 0, KS 0 (exact: the profile keeps the 1,000 distinct values).
    @Test func sameDistributionHasNoDrift() throws {
        let spec = FeatureSpec(features: [.init(name: "x", encoding: .numeric)], label: "y")
        let values = (0..<1000).map { Float($0) }
        let matrix = DenseMatrix(rows: 1000, columns: 1, values: values)
        let profile = ReferenceProfile.build(spec: spec, matrix: matrix, predictions: values.map { $0 / 1000 })
        let report = DriftStatistics.compare(
            reference: profile, spec: spec, window: matrix, predictions: values.map { $0 / 1000 })
        let x = try #require(report.features.first)
        #expect(abs(x.psi) < 1e-12)
        #expect(x.verdict == .stable)
        #expect(x.ksExact == true)
        #expect(x.ks == 0)
        #expect(abs(report.prediction?.psi ?? 1) < 1e-12)
        // The profile survives JSON.
        let decoded = try JSONDecoder().decode(ReferenceProfile.self, from: JSONEncoder().encode(profile))
        #expect(decoded == profile)
    }
}

@Suite struct DriftReportCodingTests {
    // A report as recorded before verdicts existed (FeatureDrift had `level`, DriftReport no verdict): it still
    // decodes, with the verdicts derived from the PSI (hand computation: 0.3 ≥ 0.25 → significant).
    @Test func olderReportsDecode() throws {
        let old = #"{"features":[{"name":"x","psi":0.3,"ks":0.2,"level":"significant"},{"name":"c","psi":0.01,"jensenShannon":0.001,"level":"none"}],"windowRows":400,"referenceRows":1000}"#
        let report = try JSONDecoder().decode(DriftReport.self, from: Data(old.utf8))
        #expect(report.verdict == .significant)
        #expect(report.maxPsi == 0.3)
        #expect(report.features.map(\.verdict) == [.significant, .stable])
        let again = try JSONDecoder().decode(DriftReport.self, from: JSONEncoder().encode(report))
        #expect(again == report)
        let insufficient = DriftReport.insufficient(windowRows: 5, referenceRows: 10, minimumRows: 100)
        #expect(try JSONDecoder().decode(DriftReport.self, from: JSONEncoder().encode(insufficient)) == insufficient)
    }
}

/// A binned distribution of a numeric variable.
///
/// Bin `i` holds the values `v` with `edges[i-1] < v ≤ edges[i]` (the first bin is open below, the last
/// open above). `proportions` and `missing` are shares of all rows, so together they sum to 1.
public struct NumericBins: Codable, Sendable, Equatable {
    /// Inner cut points, ascending and distinct.
    public let edges: [Double]
    /// Share of rows in each bin; `edges.count + 1` entries.
    public let proportions: [Double]
    /// Share of rows with no value (NaN).
    public let missing: Double
    /// The 0%, 1%, …, 100% quantiles of the values (a sketch used for the KS statistic); nil if none.
    public let quantiles: [Double]?
    /// The distinct values present, ascending, when there are at most `exactLimit` of them (nil otherwise):
    /// with `distinctCounts` they are the whole sample, so the KS statistic against them is exact.
    public let distinct: [Double]?
    /// How many rows hold each of `distinct`.
    public let distinctCounts: [Int]?

    /// The most distinct values a profile keeps for the exact KS statistic. 25,000 values and counts are about
    /// 0.5 MB of manifest JSON for one feature; integer-like features (hours, distances, counts) and binary
    /// features have far fewer. Above it the 101-point quantile sketch is used (see `DriftStatistics.ksStatistic`).
    public static let exactLimit = 25_000

    public init(
        edges: [Double], proportions: [Double], missing: Double, quantiles: [Double]? = nil,
        distinct: [Double]? = nil, distinctCounts: [Int]? = nil
    ) {
        self.edges = edges
        self.proportions = proportions
        self.missing = missing
        self.quantiles = quantiles
        self.distinct = distinct
        self.distinctCounts = distinctCounts
    }

    /// Profiles reference values (NaN = missing): edges are the distinct `k/bins` quantiles
    /// (numpy's default linear interpolation), k = 1…bins−1.
    public static func reference(_ values: [Double], bins: Int = 10, exactLimit: Int = NumericBins.exactLimit) -> NumericBins {
        let present = values.filter { !$0.isNaN }.sorted()
        let bins = max(bins, 1)
        var edges = [Double]()
        if !present.isEmpty && bins > 1 {
            for k in 1..<bins {
                let edge = quantile(present, Double(k) / Double(bins))
                if edges.last != edge { edges.append(edge) }
            }
        }
        let quantiles = present.isEmpty ? nil : (0...100).map { quantile(present, Double($0) / 100) }
        var distinct: [Double] = []
        var counts: [Int] = []
        for value in present where distinct.count <= exactLimit {
            if distinct.last == value { counts[counts.count - 1] += 1 } else {
                distinct.append(value)
                counts.append(1)
            }
        }
        let exact = !present.isEmpty && distinct.count <= exactLimit
        let shares = distribution(values, edges: edges)
        return NumericBins(
            edges: edges, proportions: Array(shares.dropLast()), missing: shares.last ?? 0, quantiles: quantiles,
            distinct: exact ? distinct : nil, distinctCounts: exact ? counts : nil
        )
    }

    /// The reference distribution as one vector: the bin shares, then the missing share.
    public var distribution: [Double] { proportions + [missing] }

    /// Bins `values` (NaN = missing) with these edges: bin shares, then the missing share.
    public func distribution(of values: [Double]) -> [Double] {
        Self.distribution(values, edges: edges)
    }

    static func distribution(_ values: [Double], edges: [Double]) -> [Double] {
        var counts = [Int](repeating: 0, count: edges.count + 2)
        for value in values {
            if value.isNaN {
                counts[edges.count + 1] += 1
                continue
            }
            // First edge ≥ value: bins are closed on the right.
            var low = 0
            var high = edges.count
            while low < high {
                let middle = (low + high) / 2
                if edges[middle] < value { low = middle + 1 } else { high = middle }
            }
            counts[low] += 1
        }
        let total = Double(values.count)
        return counts.map { total == 0 ? 0 : Double($0) / total }
    }

    /// The `q` quantile of ascending, non-empty `sorted` by linear interpolation (numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}

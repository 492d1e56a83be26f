/// The reference distribution of one feature, recorded at training time.
public struct FeatureProfile: Codable, Sendable, Equatable {
    /// How the feature is profiled.
    public enum Kind: String, Codable, Sendable {
        /// Numeric and boolean features: binned.
        case numeric
        /// Categorical features: share per vocabulary value.
        case categorical
    }

    public let name: String
    public let kind: Kind
    /// For numeric features.
    public let bins: NumericBins?
    /// For categorical features: the share of all rows holding each vocabulary value.
    public let categories: [String: Double]?
    /// Share of rows with no value (missing or unseen).
    public let missing: Double
    /// Rows that have a value.
    public let count: Int

    public init(name: String, kind: Kind, bins: NumericBins?, categories: [String: Double]?, missing: Double, count: Int) {
        self.name = name
        self.kind = kind
        self.bins = bins
        self.categories = categories
        self.missing = missing
        self.count = count
    }
}

/// Drift of a window of live rows against a model's reference profile.
public struct DriftReport: Codable, Sendable, Equatable {
    public let features: [FeatureDrift]
    /// Drift of the model's outputs, when predictions were given.
    public let prediction: FeatureDrift?
    public let windowRows: Int
    public let referenceRows: Int
    /// The smallest window that gets a verdict.
    public let minimumRows: Int
    /// The most severe verdict over the features and the prediction, or `insufficient-data` (then `features`
    /// is empty and `prediction` nil: no statistic is reported from a window too small to mean anything).
    public let verdict: DriftVerdict
    /// The largest PSI over the features (not the prediction); nil for `insufficient-data`.
    public let maxPsi: Double?

    public init(features: [FeatureDrift], prediction: FeatureDrift?, windowRows: Int, referenceRows: Int, minimumRows: Int = 0) {
        self.features = features
        self.prediction = prediction
        self.windowRows = windowRows
        self.referenceRows = referenceRows
        self.minimumRows = minimumRows
        self.verdict = (features.map(\.verdict) + (prediction.map { [$0.verdict] } ?? [])).max() ?? .stable
        self.maxPsi = features.map(\.psi).max() ?? 0
    }

    private init(windowRows: Int, referenceRows: Int, minimumRows: Int) {
        self.features = []
        self.prediction = nil
        self.windowRows = windowRows
        self.referenceRows = referenceRows
        self.minimumRows = minimumRows
        self.verdict = .insufficientData
        self.maxPsi = nil
    }

    /// The report for a window smaller than `minimumRows`: the counts and no statistics.
    public static func insufficient(windowRows: Int, referenceRows: Int, minimumRows: Int) -> DriftReport {
        DriftReport(windowRows: windowRows, referenceRows: referenceRows, minimumRows: minimumRows)
    }

    /// The features at or above a PSI.
    public func features(atOrAbove psi: Double) -> [FeatureDrift] { features.filter { $0.psi >= psi } }
}

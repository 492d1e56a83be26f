/// Drift of a window of live rows against a model's reference profile.
public struct DriftReport: Codable, Sendable, Equatable {
    public let features: [FeatureDrift]
    /// Drift of the model's outputs, when predictions were given.
    public let prediction: FeatureDrift?
    public let windowRows: Int
    public let referenceRows: Int

    public init(features: [FeatureDrift], prediction: FeatureDrift?, windowRows: Int, referenceRows: Int) {
        self.features = features
        self.prediction = prediction
        self.windowRows = windowRows
        self.referenceRows = referenceRows
    }
}

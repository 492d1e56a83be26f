/// Drift of a window of live rows against a model's reference profile.
public struct DriftReport: Codable, Sendable, Equatable {
    enum CodingKeys: String, CodingKey {
        case features, prediction, windowRows, referenceRows, minimumRows, verdict, maxPsi
    }

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

extension DriftReport {
    /// Reports recorded before verdicts existed (no `verdict`, `minimumRows`, `maxPsi`) decode with them derived.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let features = try container.decode([FeatureDrift].self, forKey: .features)
        let prediction = try container.decodeIfPresent(FeatureDrift.self, forKey: .prediction)
        let windowRows = try container.decode(Int.self, forKey: .windowRows)
        let referenceRows = try container.decode(Int.self, forKey: .referenceRows)
        let minimumRows = try container.decodeIfPresent(Int.self, forKey: .minimumRows) ?? 0
        if try container.decodeIfPresent(DriftVerdict.self, forKey: .verdict) == .insufficientData {
            self = .insufficient(windowRows: windowRows, referenceRows: referenceRows, minimumRows: minimumRows)
        } else {
            self.init(features: features, prediction: prediction, windowRows: windowRows, referenceRows: referenceRows, minimumRows: minimumRows)
        }
    }
}

/// Weighs drift, live performance and new data at the source into a retraining decision, keeping each reason
/// with the numbers behind it.
public struct RetrainingPolicy: Codable, Sendable, Equatable {
    /// Retrain when any feature's PSI reaches this (0.25 is the usual "significant" threshold).
    public var psiThreshold: Double = 0.25
    /// Retrain when live AUC from feedback falls this far below the holdout AUC.
    public var maxAucDecay: Double = 0.05
    /// Feedback needed before live performance counts.
    public var minFeedback: Int = 200
    /// New rows at the source that justify a retrain on their own.
    public var minNewRows: Int = 1_000

    public init() {}

    public struct Signals: Codable, Sendable, Equatable {
        public var maxPsi: Double?
        public var driftedFeatures: [String]
        public var holdoutAuc: Double?
        public var liveAuc: Double?
        public var feedbackCount: Int
        public var newRows: Int?
        public init(maxPsi: Double?, driftedFeatures: [String], holdoutAuc: Double?, liveAuc: Double?, feedbackCount: Int, newRows: Int?) {
            self.maxPsi = maxPsi
            self.driftedFeatures = driftedFeatures
            self.holdoutAuc = holdoutAuc
            self.liveAuc = liveAuc
            self.feedbackCount = feedbackCount
            self.newRows = newRows
        }
    }

    public struct Reason: Codable, Sendable, Equatable {
        public let kind: String      // drift | performance | new-data
        public let triggered: Bool
        public let detail: String
    }

    public struct Decision: Codable, Sendable, Equatable {
        public let retrain: Bool
        public let reasons: [Reason]
    }

    public func decide(_ signals: Signals) -> Decision {
        var reasons: [Reason] = []
        if let psi = signals.maxPsi {
            let triggered = psi >= psiThreshold
            let features = signals.driftedFeatures.isEmpty ? "" : " (\(signals.driftedFeatures.joined(separator: ", ")))"
            reasons.append(Reason(kind: "drift", triggered: triggered, detail: "max PSI \(format(psi)) vs threshold \(format(psiThreshold))\(features)"))
        } else {
            reasons.append(Reason(kind: "drift", triggered: false, detail: "no drift report yet"))
        }
        if let live = signals.liveAuc, let holdout = signals.holdoutAuc, signals.feedbackCount >= minFeedback {
            let decay = holdout - live
            reasons.append(
                Reason(
                    kind: "performance", triggered: decay > maxAucDecay,
                    detail: "live AUC \(format(live)) on \(signals.feedbackCount) feedback rows vs holdout AUC \(format(holdout)) (decay \(format(decay)), allowed \(format(maxAucDecay)))"
                )
            )
        } else {
            reasons.append(
                Reason(kind: "performance", triggered: false, detail: "\(signals.feedbackCount) feedback rows (need \(minFeedback) with both outcomes)")
            )
        }
        if let newRows = signals.newRows {
            reasons.append(Reason(kind: "new-data", triggered: newRows >= minNewRows, detail: "\(newRows) new rows at the source (threshold \(minNewRows))"))
        } else {
            reasons.append(Reason(kind: "new-data", triggered: false, detail: "source not checked"))
        }
        return Decision(retrain: reasons.contains { $0.triggered }, reasons: reasons)
    }
}

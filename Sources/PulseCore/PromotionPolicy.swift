/// Decides whether a candidate model replaces the production model, from numbers measured on the same holdout.
public struct PromotionPolicy: Codable, Sendable, Equatable {
    /// The candidate's AUC must reach at least this.
    public var minAuc: Double = 0.6
    /// The candidate may be at most this much AUC below the champion (on the candidate's holdout).
    public var maxAucRegression: Double = 0.0

    public init(minAuc: Double? = nil, maxAucRegression: Double? = nil) {
        if let minAuc { self.minAuc = minAuc }
        if let maxAucRegression { self.maxAucRegression = maxAucRegression }
    }

    public struct Decision: Codable, Sendable, Equatable {
        public let promote: Bool
        public let reason: String
    }

    /// `championAuc` is nil when there is no production model yet.
    public func decide(candidateAuc: Double, championAuc: Double?) -> Decision {
        guard candidateAuc.isFinite else { return Decision(promote: false, reason: "candidate AUC is not a number") }
        if candidateAuc < minAuc {
            return Decision(promote: false, reason: "candidate AUC \(format(candidateAuc)) is below the minimum \(format(minAuc))")
        }
        guard let championAuc else {
            return Decision(promote: true, reason: "no production model yet; candidate AUC \(format(candidateAuc)) ≥ minimum \(format(minAuc))")
        }
        let regression = championAuc - candidateAuc
        if regression > maxAucRegression {
            return Decision(
                promote: false,
                reason: "candidate AUC \(format(candidateAuc)) is \(format(regression)) below the champion's \(format(championAuc)) on the same holdout (allowed \(format(maxAucRegression)))"
            )
        }
        return Decision(
            promote: true,
            reason: "candidate AUC \(format(candidateAuc)) vs champion \(format(championAuc)) on the same holdout (allowed regression \(format(maxAucRegression)))"
        )
    }
}

func format(_ value: Double) -> String {
    let scaled = (value * 10_000).rounded() / 10_000
    return "\(scaled)"
}

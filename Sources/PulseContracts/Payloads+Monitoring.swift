/// Thresholds of the retraining decision, given per request; every field left out takes its default
/// (`RetrainingPolicy` in PulseCore holds them).
public struct RetrainingPolicyPayload: Codable, Sendable, Equatable {
    /// Retrain when a feature's PSI in the latest drift report reaches this (default 0.25, "significant").
    public var psiThreshold: Double?
    /// Retrain when live AUC from feedback is more than this below the holdout AUC (default 0.05).
    public var maxAucDecay: Double?
    /// Retrain a regression model when live RMSE exceeds the holdout RMSE by more than this fraction (default 0.1).
    public var maxRmseIncrease: Double?
    /// Feedback rows (with both outcomes) needed before live performance counts (default 200).
    public var minFeedback: Int?
    public static let defaultMinFeedback = 200
    public static let defaultFeedbackWindow = 1_000
    /// How many of the most recent feedback rows make the live-performance window (default 1000).
    public var feedbackWindow: Int?
    /// New rows at the source that justify a retrain on their own (default 1000).
    public var minNewRows: Int?
    /// Retrain a production model older than this many hours whatever else is seen: the schedule (default 168).
    public var maxModelAgeHours: Double?
    /// No retrain within this many hours of the model's last run (default 6).
    public var cooldownHours: Double?

    public init(
        psiThreshold: Double? = nil, maxAucDecay: Double? = nil, maxRmseIncrease: Double? = nil, minFeedback: Int? = nil,
        feedbackWindow: Int? = nil, minNewRows: Int? = nil, maxModelAgeHours: Double? = nil, cooldownHours: Double? = nil
    ) {
        self.psiThreshold = psiThreshold
        self.maxAucDecay = maxAucDecay
        self.maxRmseIncrease = maxRmseIncrease
        self.minFeedback = minFeedback
        self.feedbackWindow = feedbackWindow
        self.minNewRows = minNewRows
        self.maxModelAgeHours = maxModelAgeHours
        self.cooldownHours = cooldownHours
    }

    /// Every field out of range, each with its pointer (not only the first).
    public func problems(pointer: String) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        func check(_ ok: Bool, _ field: String, _ detail: String) {
            if !ok { errors.append(.init(pointer: pointer + "/" + field, detail: detail)) }
        }
        if let psiThreshold { check(psiThreshold.isFinite && psiThreshold > 0 && psiThreshold <= 10, "psiThreshold", "must be greater than 0 and at most 10") }
        if let maxAucDecay { check(maxAucDecay.isFinite && (0...1).contains(maxAucDecay), "maxAucDecay", "must be between 0 and 1") }
        if let maxRmseIncrease { check(maxRmseIncrease.isFinite && (0...10).contains(maxRmseIncrease), "maxRmseIncrease", "must be between 0 and 10 (a fraction of the holdout RMSE)") }
        if let minFeedback { check((1...1_000_000).contains(minFeedback), "minFeedback", "must be between 1 and 1000000") }
        if let feedbackWindow { check((1...1_000_000).contains(feedbackWindow), "feedbackWindow", "must be between 1 and 1000000") }
        // With the defaults too: a window that can never hold `minFeedback` rows would switch the signal off unseen.
        if minFeedback != nil || feedbackWindow != nil {
            let (least, window) = (minFeedback ?? Self.defaultMinFeedback, feedbackWindow ?? Self.defaultFeedbackWindow)
            check(least <= window, minFeedback == nil ? "feedbackWindow" : "minFeedback",
                  "minFeedback (\(least)) must not exceed feedbackWindow (\(window)): the window could never hold enough feedback")
        }
        if let minNewRows { check(minNewRows >= 1, "minNewRows", "must be at least 1") }
        if let maxModelAgeHours { check(maxModelAgeHours.isFinite && maxModelAgeHours > 0 && maxModelAgeHours <= 87_600, "maxModelAgeHours", "must be greater than 0 and at most 87600 (10 years)") }
        if let cooldownHours { check(cooldownHours.isFinite && cooldownHours >= 0 && cooldownHours <= 8_760, "cooldownHours", "must be between 0 and 8760 (a year)") }
        return errors
    }
}

/// `pulse.retraining.check.v1`: weigh drift, live performance, new data at the source, the model's age and the
/// cooldown into a recorded decision (it starts nothing: `pulse.retraining.run.v1` does).
public struct CheckRetraining: Payload, Equatable {
    public var modelName: String
    public var policy: RetrainingPolicyPayload?
    public init(modelName: String, policy: RetrainingPolicyPayload? = nil) {
        self.modelName = modelName
        self.policy = policy
    }
    public func validate(pointer: String) throws(Problem) {
        var errors: [Problem.FieldError] = []
        if !SourceIdentifier.isValidPart(modelName) {
            errors.append(.init(pointer: pointer + "/modelName", detail: "must be letters, digits and underscores (≤ 63)"))
        }
        errors += policy?.problems(pointer: pointer + "/policy") ?? []
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }
}

/// `pulse.model.performance.get.v1`: live performance of a model name's production model from the most recent
/// feedback joined to its predictions.
public struct GetModelPerformance: Payload, Equatable {
    public var modelName: String
    /// How many of the most recent feedback rows (by feedback time) to use; default 1000.
    public var window: Int?
    public init(modelName: String, window: Int? = nil) {
        self.modelName = modelName
        self.window = window
    }
    public static let defaultWindow = 1_000
    public func validate(pointer: String) throws(Problem) {
        try require(SourceIdentifier.isValidPart(modelName), pointer + "/modelName", "must be letters, digits and underscores (≤ 63)")
        if let window { try require((1...1_000_000).contains(window), pointer + "/window", "must be between 1 and 1000000") }
    }
}

import PulseContracts

/// Weighs drift, live performance, new data at the source and the model's age into a retraining decision, with a
/// cooldown after the last run, keeping each reason with the numbers behind it.
///
/// Any of drift, performance, new-data or schedule triggers a retrain; an active cooldown holds it back (the
/// decision then says `retrain: false` and lists the cooldown reason as `triggered`).
public struct RetrainingPolicy: Codable, Sendable, Equatable {
    /// Retrain when a feature's PSI reaches this (0.25 is the usual "significant" threshold).
    public var psiThreshold: Double = 0.25
    /// Retrain when live AUC from feedback falls more than this below the holdout AUC.
    public var maxAucDecay: Double = 0.05
    /// Retrain a regression model when its live RMSE exceeds the holdout RMSE by more than this fraction of it.
    public var maxRmseIncrease: Double = 0.1
    /// Feedback needed (with both outcomes) before live performance counts.
    public var minFeedback = RetrainingPolicyPayload.defaultMinFeedback
    /// The most recent feedback rows that make the live-performance window.
    public var feedbackWindow = RetrainingPolicyPayload.defaultFeedbackWindow
    /// New rows at the source that justify a retrain on their own.
    public var minNewRows: Int = 1_000
    /// A production model older than this is retrained whatever else is seen (a weekly schedule).
    public var maxModelAgeHours: Double = 168
    /// No retrain within this many hours of the model name's last run.
    public var cooldownHours: Double = 6

    public init() {}

    /// The defaults with every field `payload` sets replaced (validate the payload first).
    public init(_ payload: RetrainingPolicyPayload?) {
        guard let payload else { return }
        if let value = payload.psiThreshold { psiThreshold = value }
        if let value = payload.maxAucDecay { maxAucDecay = value }
        if let value = payload.maxRmseIncrease { maxRmseIncrease = value }
        if let value = payload.minFeedback { minFeedback = value }
        if let value = payload.feedbackWindow { feedbackWindow = value }
        if let value = payload.minNewRows { minNewRows = value }
        if let value = payload.maxModelAgeHours { maxModelAgeHours = value }
        if let value = payload.cooldownHours { cooldownHours = value }
    }

    /// What was measured; nil where a signal could not be measured.
    public struct Signals: Codable, Sendable, Equatable {
        /// Largest feature PSI of the latest drift report with a verdict, and that report.
        public var maxPsi: Double?
        /// PSI of the model's outputs in that report (prediction drift).
        public var predictionPsi: Double?
        public var driftReportId: String?
        public var driftedFeatures: [String]
        public var holdoutAuc: Double?
        public var liveAuc: Double?
        public var liveAccuracy: Double?
        /// A regression model's holdout and live RMSE (nil for a classifier).
        public var holdoutRmse: Double?
        public var liveRmse: Double?
        /// Feedback rows in the live window.
        public var feedbackCount: Int
        public var newRows: Int?
        public var modelAgeHours: Double?
        /// Hours since the model name's last retraining run started, and that run.
        public var hoursSinceLastRun: Double?
        public var lastRunId: String?

        public init(
            maxPsi: Double? = nil, predictionPsi: Double? = nil, driftReportId: String? = nil, driftedFeatures: [String] = [], holdoutAuc: Double? = nil,
            liveAuc: Double? = nil, liveAccuracy: Double? = nil, holdoutRmse: Double? = nil, liveRmse: Double? = nil,
            feedbackCount: Int = 0, newRows: Int? = nil,
            modelAgeHours: Double? = nil, hoursSinceLastRun: Double? = nil, lastRunId: String? = nil
        ) {
            self.maxPsi = maxPsi
            self.predictionPsi = predictionPsi
            self.driftReportId = driftReportId
            self.driftedFeatures = driftedFeatures
            self.holdoutAuc = holdoutAuc
            self.liveAuc = liveAuc
            self.liveAccuracy = liveAccuracy
            self.holdoutRmse = holdoutRmse
            self.liveRmse = liveRmse
            self.feedbackCount = feedbackCount
            self.newRows = newRows
            self.modelAgeHours = modelAgeHours
            self.hoursSinceLastRun = hoursSinceLastRun
            self.lastRunId = lastRunId
        }
    }

    /// One consideration: what was measured (`value`), against what (`threshold`), and whether it fired.
    public struct Reason: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable {
            case drift, performance, newData = "new-data", schedule, cooldown
        }
        public let kind: Kind
        /// For cooldown: the cooldown is active and holds the retrain back.
        public let triggered: Bool
        public let value: Double?
        public let threshold: Double?
        public let detail: String

        public init(kind: Kind, triggered: Bool, value: Double?, threshold: Double?, detail: String) {
            self.kind = kind
            self.triggered = triggered
            self.value = value
            self.threshold = threshold
            self.detail = detail
        }
    }

    public struct Decision: Codable, Sendable, Equatable {
        public let retrain: Bool
        public let reasons: [Reason]
    }

    public func decide(_ signals: Signals) -> Decision {
        var reasons: [Reason] = []
        if let featurePsi = signals.maxPsi {
            var drifted = signals.driftedFeatures
            let outputs = signals.predictionPsi ?? 0
            if outputs >= psiThreshold { drifted.append("prediction") }
            let psi = max(featurePsi, outputs)
            let listed = drifted.isEmpty ? "" : " (\(drifted.joined(separator: ", ")))"
            let prediction = signals.predictionPsi.map { ", prediction PSI \(fourPlaces($0))" } ?? ""
            reasons.append(Reason(
                kind: .drift, triggered: psi >= psiThreshold, value: psi, threshold: psiThreshold,
                detail: "max PSI \(fourPlaces(psi)) vs threshold \(fourPlaces(psiThreshold))\(listed); max feature PSI \(fourPlaces(featurePsi))\(prediction)"))
        } else {
            reasons.append(Reason(kind: .drift, triggered: false, value: nil, threshold: psiThreshold, detail: "no drift report with a verdict yet"))
        }
        if let live = signals.liveRmse, let holdout = signals.holdoutRmse, holdout > 0, signals.feedbackCount >= minFeedback {
            let increase = (live - holdout) / holdout
            reasons.append(Reason(
                kind: .performance, triggered: increase > maxRmseIncrease, value: increase, threshold: maxRmseIncrease,
                detail: "live RMSE \(fourPlaces(live)) on the last \(signals.feedbackCount) feedback rows vs holdout RMSE \(fourPlaces(holdout)) (increase \(fourPlaces(increase * 100))%, allowed \(fourPlaces(maxRmseIncrease * 100))%)"))
        } else if let live = signals.liveAuc, let holdout = signals.holdoutAuc, signals.feedbackCount >= minFeedback {
            let decay = holdout - live
            reasons.append(Reason(
                kind: .performance, triggered: decay > maxAucDecay, value: decay, threshold: maxAucDecay,
                detail: "live AUC \(fourPlaces(live)) on the last \(signals.feedbackCount) feedback rows vs holdout AUC \(fourPlaces(holdout)) (decay \(fourPlaces(decay)), allowed \(fourPlaces(maxAucDecay)))"))
        } else {
            reasons.append(Reason(
                kind: .performance, triggered: false, value: nil, threshold: signals.holdoutRmse == nil ? maxAucDecay : maxRmseIncrease,
                detail: signals.holdoutRmse == nil
                    ? "\(signals.feedbackCount) feedback rows (need \(minFeedback) with both outcomes)"
                    : "\(signals.feedbackCount) feedback rows (need \(minFeedback))"))
        }
        if let newRows = signals.newRows {
            reasons.append(Reason(
                kind: .newData, triggered: newRows >= minNewRows, value: Double(newRows), threshold: Double(minNewRows),
                detail: "\(newRows) new rows at the source (threshold \(minNewRows))"))
        } else {
            reasons.append(Reason(kind: .newData, triggered: false, value: nil, threshold: Double(minNewRows), detail: "source not reachable"))
        }
        if let age = signals.modelAgeHours {
            reasons.append(Reason(
                kind: .schedule, triggered: age >= maxModelAgeHours, value: age, threshold: maxModelAgeHours,
                detail: "model is \(fourPlaces(age)) hours old (retrain from \(fourPlaces(maxModelAgeHours)))"))
        }
        let wanted = reasons.contains { $0.triggered }
        if let since = signals.hoursSinceLastRun {
            let active = since < cooldownHours
            reasons.append(Reason(
                kind: .cooldown, triggered: active, value: since, threshold: cooldownHours,
                detail: "last run \(signals.lastRunId ?? "") started \(fourPlaces(since)) hours ago (cooldown \(fourPlaces(cooldownHours)) hours)"))
            return Decision(retrain: wanted && !active, reasons: reasons)
        }
        reasons.append(Reason(kind: .cooldown, triggered: false, value: nil, threshold: cooldownHours, detail: "no earlier run"))
        return Decision(retrain: wanted, reasons: reasons)
    }
}

private func fourPlaces(_ value: Double) -> String {
    let rounded = (value * 10_000).rounded() / 10_000
    return String(rounded)
}

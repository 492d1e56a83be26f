/// `pulse.monitoring.schedule.v1`: watch a model name on a timer. Every `everyMinutes` the drift monitor measures
/// drift on the latest window, takes a retraining decision under `policy`, and (with `retrain`, the default)
/// starts a retraining run when the decision says so and no run or cooldown is in the way. Setting a schedule
/// again replaces it and makes it due at once; `enabled: false` pauses it.
public struct ScheduleMonitoring: Payload, Equatable {
    public var modelName: String
    public var everyMinutes: Int
    /// The drift window and its minimum (as in `pulse.drift.detect.v1`; defaults 50000 and 100).
    public var windowSize: Int?
    public var minimumRows: Int?
    public var policy: RetrainingPolicyPayload?
    public var retrain: Bool?
    public var enabled: Bool?

    public static let minutesPerWeek = 10_080

    public init(
        modelName: String, everyMinutes: Int, windowSize: Int? = nil, minimumRows: Int? = nil, policy: RetrainingPolicyPayload? = nil,
        retrain: Bool? = nil, enabled: Bool? = nil
    ) {
        self.modelName = modelName
        self.everyMinutes = everyMinutes
        self.windowSize = windowSize
        self.minimumRows = minimumRows
        self.policy = policy
        self.retrain = retrain
        self.enabled = enabled
    }

    public func validate(pointer: String) throws(Problem) {
        var errors: [Problem.FieldError] = []
        func check(_ ok: Bool, _ field: String, _ detail: String) {
            if !ok { errors.append(.init(pointer: pointer + "/" + field, detail: detail)) }
        }
        check(SourceIdentifier.isValidPart(modelName), "modelName", "must be letters, digits and underscores (≤ 63)")
        check((1...Self.minutesPerWeek).contains(everyMinutes), "everyMinutes", "must be between 1 and \(Self.minutesPerWeek) (a week)")
        if let windowSize { check((1...1_000_000).contains(windowSize), "windowSize", "must be between 1 and 1000000") }
        if let minimumRows { check((1...1_000_000).contains(minimumRows), "minimumRows", "must be between 1 and 1000000") }
        if let windowSize, let minimumRows, minimumRows > windowSize {
            check(false, "minimumRows", "must not exceed windowSize (\(windowSize))")
        }
        errors += policy?.problems(pointer: pointer + "/policy") ?? []
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }

    /// The drift request one tick makes.
    public var detectDrift: DetectDrift { DetectDrift(modelName: modelName, windowSize: windowSize, minimumRows: minimumRows) }
}

/// `pulse.monitoring.get.v1`: a model name's schedule, when it is next due and what its last pass did.
public struct MonitoringReference: Payload, Equatable {
    public var modelName: String
    public init(modelName: String) { self.modelName = modelName }
    public func validate(pointer: String) throws(Problem) {
        try require(SourceIdentifier.isValidPart(modelName), pointer + "/modelName", "must be letters, digits and underscores (≤ 63)")
    }
}

/// `pulse.monitoring.run.v1`: one pass of a model name's monitor — what a schedule publishes when it comes due,
/// and what an operator sends to run it now. Without a schedule it uses the defaults and starts no run.
public struct RunMonitoring: Payload, Equatable {
    public var modelName: String
    /// When the schedule came due (absent for a run by hand).
    public var dueAt: String?

    public init(modelName: String, dueAt: String? = nil) {
        self.modelName = modelName
        self.dueAt = dueAt
    }

    public func validate(pointer: String) throws(Problem) {
        try require(SourceIdentifier.isValidPart(modelName), pointer + "/modelName", "must be letters, digits and underscores (≤ 63)")
    }
}

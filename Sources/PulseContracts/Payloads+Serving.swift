/// `pulse.prediction.run.v1`: score rows with the production model of a name.
public struct RunPrediction: Payload, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        /// The producer's key for the row (e.g. the flight id), kept with the prediction for feedback and lineage.
        public var key: String?
        public var features: [String: JSONValue]
        public init(key: String? = nil, features: [String: JSONValue]) {
            self.key = key
            self.features = features
        }
    }

    public var modelName: String
    public var rows: [Row]

    public init(modelName: String, rows: [Row]) {
        self.modelName = modelName
        self.rows = rows
    }

    public static let maxRows = 10_000

    public func validate(pointer: String) throws(Problem) {
        try require(SourceIdentifier.isValidPart(modelName), pointer + "/modelName", "must be letters, digits and underscores (≤ 63)")
        try require(!rows.isEmpty, pointer + "/rows", "must hold at least one row")
        try require(rows.count <= Self.maxRows, pointer + "/rows", "must hold at most \(Self.maxRows) rows per request")
    }
}

/// `pulse.feedback.record.v1`: the true outcome for earlier predictions.
public struct RecordFeedback: Payload, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var predictionId: String
        public var outcome: Double
        public init(predictionId: String, outcome: Double) {
            self.predictionId = predictionId
            self.outcome = outcome
        }
    }

    public var items: [Item]
    public init(items: [Item]) { self.items = items }

    public func validate(pointer: String) throws(Problem) {
        try require(!items.isEmpty, pointer + "/items", "must hold at least one item")
        try require(items.count <= 50_000, pointer + "/items", "must hold at most 50000 items per request")
        for (index, item) in items.enumerated() {
            try require(EntityID.isValid(item.predictionId, .prediction), pointer + "/items/\(index)/predictionId", "must be a prediction id (pred_…)")
            try require(item.outcome.isFinite, pointer + "/items/\(index)/outcome", "must be a finite number")
        }
    }
}

/// `pulse.drift.detect.v1`: compare recent live inputs with the training data's reference profile.
public struct DetectDrift: Payload, Equatable {
    public var modelName: String
    /// How many of the most recent predictions make the window (default 50000).
    public var windowSize: Int?
    /// A window with fewer predictions gets the verdict "insufficient-data" and no statistics (default 100).
    public var minimumRows: Int?
    public init(modelName: String, windowSize: Int? = nil, minimumRows: Int? = nil) {
        self.modelName = modelName
        self.windowSize = windowSize
        self.minimumRows = minimumRows
    }
    public static let defaultMinimumRows = 100
    public func validate(pointer: String) throws(Problem) {
        try require(SourceIdentifier.isValidPart(modelName), pointer + "/modelName", "must be letters, digits and underscores (≤ 63)")
        if let windowSize { try require((1...1_000_000).contains(windowSize), pointer + "/windowSize", "must be between 1 and 1000000") }
        if let minimumRows { try require((1...1_000_000).contains(minimumRows), pointer + "/minimumRows", "must be between 1 and 1000000") }
        if let windowSize, let minimumRows {
            try require(minimumRows <= windowSize, pointer + "/minimumRows", "must not exceed windowSize (\(windowSize))")
        }
    }
}

/// `pulse.retraining.run.v1`: extract what is new, snapshot, train, evaluate against the champion, promote or reject.
public struct RunRetraining: Payload, Equatable {
    public var modelName: String
    public var reason: String?
    /// Start even within the cooldown after the model's last run (never while one is running).
    public var force: Bool?
    /// Hours after a run's start during which no other run starts unless forced (default 6).
    public var cooldownHours: Double?
    public init(modelName: String, reason: String? = nil, force: Bool? = nil, cooldownHours: Double? = nil) {
        self.modelName = modelName
        self.reason = reason
        self.force = force
        self.cooldownHours = cooldownHours
    }
    public static let defaultCooldownHours = 6.0
    public func validate(pointer: String) throws(Problem) {
        try require(SourceIdentifier.isValidPart(modelName), pointer + "/modelName", "must be letters, digits and underscores (≤ 63)")
        if let cooldownHours {
            try require(cooldownHours.isFinite && cooldownHours >= 0 && cooldownHours <= 8_760, pointer + "/cooldownHours", "must be between 0 and 8760 (a year)")
        }
        if let reason { try require(reason.count <= 500, pointer + "/reason", "must be at most 500 characters") }
    }
}

public struct RetrainingRunReference: Payload, Equatable {
    public var runId: String
    public init(runId: String) { self.runId = runId }
    public func validate(pointer: String) throws(Problem) {
        try require(EntityID.isValid(runId, .retraining), pointer + "/runId", "must be a retraining run id (retrain_…)")
    }
}

public struct TraceLineage: Payload, Equatable {
    public var predictionId: String
    public init(predictionId: String) { self.predictionId = predictionId }
    public func validate(pointer: String) throws(Problem) {
        try require(EntityID.isValid(predictionId, .prediction), pointer + "/predictionId", "must be a prediction id (pred_…)")
    }
}

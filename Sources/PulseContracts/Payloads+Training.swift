/// Gradient-boosting parameters a producer may set; every field is optional and has a sensible default.
public struct TrainingParameters: Codable, Sendable, Equatable {
    public var rounds: Int?
    public var maxDepth: Int?
    public var learningRate: Double?
    public var seed: Int?
    public var subsample: Double?
    public var colsampleByTree: Double?
    public var minChildWeight: Double?
    public var lambda: Double?

    public init(rounds: Int? = nil, maxDepth: Int? = nil, learningRate: Double? = nil, seed: Int? = nil) {
        self.rounds = rounds
        self.maxDepth = maxDepth
        self.learningRate = learningRate
        self.seed = seed
    }

    func problems(at pointer: String) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        func check(_ ok: Bool, _ field: String, _ detail: String) {
            if !ok { errors.append(.init(pointer: pointer + "/" + field, detail: detail)) }
        }
        if let rounds { check((1...5_000).contains(rounds), "rounds", "must be between 1 and 5000") }
        if let maxDepth { check((1...20).contains(maxDepth), "maxDepth", "must be between 1 and 20") }
        if let learningRate { check(learningRate > 0 && learningRate <= 1, "learningRate", "must be in (0, 1]") }
        if let subsample { check(subsample > 0 && subsample <= 1, "subsample", "must be in (0, 1]") }
        if let colsampleByTree { check(colsampleByTree > 0 && colsampleByTree <= 1, "colsampleByTree", "must be in (0, 1]") }
        if let minChildWeight { check(minChildWeight >= 0 && minChildWeight.isFinite, "minChildWeight", "must be 0 or more") }
        if let lambda { check(lambda >= 0 && lambda.isFinite, "lambda", "must be 0 or more") }
        if let seed { check(seed >= 0, "seed", "must be 0 or more") }
        return errors
    }
}

/// `pulse.training.start.v1`: train from a dataset version, never from live data.
public struct StartTraining: Payload, Equatable {
    public var datasetId: String
    public var datasetVersion: Int
    public var modelName: String
    public var label: String
    public var algorithm: String?
    public var parameters: TrainingParameters?
    /// Columns to leave out of the features (ids and cursors are always left out).
    public var exclude: [String]?
    /// The most recent share of rows (by cursor) held out for evaluation.
    public var holdoutFraction: Double?

    public init(
        datasetId: String, datasetVersion: Int, modelName: String, label: String, algorithm: String? = nil,
        parameters: TrainingParameters? = nil, exclude: [String]? = nil, holdoutFraction: Double? = nil
    ) {
        self.datasetId = datasetId
        self.datasetVersion = datasetVersion
        self.modelName = modelName
        self.label = label
        self.algorithm = algorithm
        self.parameters = parameters
        self.exclude = exclude
        self.holdoutFraction = holdoutFraction
    }

    public func validate(pointer: String) throws(Problem) {
        var errors: [Problem.FieldError] = []
        if !EntityID.isValid(datasetId, .dataset) {
            errors.append(.init(pointer: pointer + "/datasetId", detail: "must be a dataset id (dset_…)"))
        }
        if datasetVersion < 1 { errors.append(.init(pointer: pointer + "/datasetVersion", detail: "must be 1 or more")) }
        if !SourceIdentifier.isValidPart(modelName) {
            errors.append(.init(pointer: pointer + "/modelName", detail: "must be letters, digits and underscores (≤ 63)"))
        }
        if !SourceIdentifier.isValidPart(label) { errors.append(.init(pointer: pointer + "/label", detail: SourceIdentifier.columnRule)) }
        if let algorithm, algorithm != "xgboost" {
            errors.append(.init(pointer: pointer + "/algorithm", detail: "unsupported algorithm '\(algorithm)'; supported: xgboost"))
        }
        if let holdoutFraction, !(holdoutFraction >= 0.05 && holdoutFraction <= 0.5) {
            errors.append(.init(pointer: pointer + "/holdoutFraction", detail: "must be between 0.05 and 0.5"))
        }
        errors += parameters?.problems(at: pointer + "/parameters") ?? []
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }
}

public struct ModelReference: Payload, Equatable {
    public var modelId: String
    public init(modelId: String) { self.modelId = modelId }
    public func validate(pointer: String) throws(Problem) {
        try require(EntityID.isValid(modelId, .model), pointer + "/modelId", "must be a model id (model_…)")
    }
}

public struct ModelNameReference: Payload, Equatable {
    public var modelName: String
    public init(modelName: String) { self.modelName = modelName }
    public func validate(pointer: String) throws(Problem) {
        try require(SourceIdentifier.isValidPart(modelName), pointer + "/modelName", "must be letters, digits and underscores (≤ 63)")
    }
}

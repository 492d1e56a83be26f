/// Training parameters a producer may set; every field is optional and has a sensible default.
/// `rounds` … `lambda` are XGBoost's; `c` and `eps` are the logistic regression's (liblinear's `C` and `eps`).
public struct TrainingParameters: Codable, Sendable, Equatable {
    public var rounds: Int?
    public var maxDepth: Int?
    public var learningRate: Double?
    public var seed: Int?
    public var subsample: Double?
    public var colsampleByTree: Double?
    public var minChildWeight: Double?
    public var lambda: Double?
    /// Inverse regularisation strength of the logistic regression (default 1).
    public var c: Double?
    /// Stopping tolerance of the logistic regression (default 1e-4).
    public var eps: Double?

    public init(
        rounds: Int? = nil, maxDepth: Int? = nil, learningRate: Double? = nil, seed: Int? = nil, c: Double? = nil, eps: Double? = nil
    ) {
        self.rounds = rounds
        self.maxDepth = maxDepth
        self.learningRate = learningRate
        self.seed = seed
        self.c = c
        self.eps = eps
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
        if let seed { check(seed >= 0 && seed <= Int(Int32.max), "seed", "must be between 0 and \(Int32.max)") }
        if let c { check(c > 0 && c.isFinite, "c", "must be a finite number greater than 0") }
        if let eps { check(eps > 0 && eps.isFinite, "eps", "must be a finite number greater than 0") }
        return errors
    }
}

/// `pulse.training.start.v1`: train from a dataset version, never from live data.
public struct StartTraining: Payload, Equatable {
    public var datasetId: String
    public var datasetVersion: Int
    public var modelName: String
    public var label: String
    /// `xgboost` (default) or `logistic-regression`.
    public var algorithm: String?
    /// `binary:logistic` (default; labels 0/1, true/false) or `reg:squarederror` (labels any finite number;
    /// XGBoost only).
    public var objective: String?
    public var parameters: TrainingParameters?
    /// Columns to leave out of the features.
    public var exclude: [String]?
    /// Columns left out by default (the row key, the cursor, the join key and joined columns) to use as features.
    public var include: [String]?
    /// `exclude` (default) leaves timestamp and date columns out; `parts` turns each into its UTC hour,
    /// ISO day of week and month.
    public var timestamps: String?
    /// The most recent share of rows (by cursor) held out for evaluation.
    public var holdoutFraction: Double?

    public static let algorithms = ["xgboost", "logistic-regression"]
    public static let objectives = ["binary:logistic", "reg:squarederror"]
    public static let timestampChoices = ["exclude", "parts"]

    public init(
        datasetId: String, datasetVersion: Int, modelName: String, label: String, algorithm: String? = nil,
        objective: String? = nil, parameters: TrainingParameters? = nil, exclude: [String]? = nil, include: [String]? = nil,
        timestamps: String? = nil, holdoutFraction: Double? = nil
    ) {
        self.datasetId = datasetId
        self.datasetVersion = datasetVersion
        self.modelName = modelName
        self.label = label
        self.algorithm = algorithm
        self.objective = objective
        self.parameters = parameters
        self.exclude = exclude
        self.include = include
        self.timestamps = timestamps
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
        if let algorithm, !Self.algorithms.contains(algorithm) {
            errors.append(.init(
                pointer: pointer + "/algorithm",
                detail: "unsupported algorithm '\(algorithm)'; supported: \(Self.algorithms.joined(separator: ", "))"))
        }
        if let objective, !Self.objectives.contains(objective) {
            errors.append(.init(
                pointer: pointer + "/objective",
                detail: "unsupported objective '\(objective)'; supported: \(Self.objectives.joined(separator: ", "))"))
        } else if algorithm == "logistic-regression", let objective, objective != "binary:logistic" {
            errors.append(.init(pointer: pointer + "/objective", detail: "logistic-regression supports binary:logistic only"))
        }
        if let timestamps, !Self.timestampChoices.contains(timestamps) {
            errors.append(.init(pointer: pointer + "/timestamps", detail: "must be one of: \(Self.timestampChoices.joined(separator: ", "))"))
        }
        for (index, column) in (include ?? []).enumerated() where !SourceIdentifier.isValidPart(column) {
            errors.append(.init(pointer: pointer + "/include/\(index)", detail: SourceIdentifier.columnRule))
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

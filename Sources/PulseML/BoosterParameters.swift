/// Gradient-boosted tree parameters. Missing keys decode to the defaults.
public struct BoosterParameters: Codable, Sendable, Equatable {
    /// Boosting rounds (trees), 1…5000.
    public var rounds = 100
    /// Maximum tree depth, 1…20.
    public var maxDepth = 6
    /// Shrinkage (`eta`), in (0, 1].
    public var learningRate = 0.3
    /// `binary:logistic` or `reg:squarederror`.
    public var objective = "binary:logistic"
    /// Random seed; with `threads` fixed, training is reproducible to the byte.
    public var seed = 7
    /// Threads XGBoost may use, 1…64.
    public var threads = 2
    /// Row subsampling per tree, in (0, 1].
    public var subsample = 1.0
    /// Column subsampling per tree, in (0, 1].
    public var colsampleByTree = 1.0
    /// Minimum hessian sum in a child, ≥ 0.
    public var minChildWeight = 1.0
    /// L2 regularisation, ≥ 0.
    public var lambda = 1.0

    /// The objectives Pulse supports.
    public static let objectives: Set<String> = ["binary:logistic", "reg:squarederror"]

    public init(
        rounds: Int = 100, maxDepth: Int = 6, learningRate: Double = 0.3, objective: String = "binary:logistic",
        seed: Int = 7, threads: Int = 2, subsample: Double = 1.0, colsampleByTree: Double = 1.0,
        minChildWeight: Double = 1.0, lambda: Double = 1.0
    ) {
        self.rounds = rounds
        self.maxDepth = maxDepth
        self.learningRate = learningRate
        self.objective = objective
        self.seed = seed
        self.threads = threads
        self.subsample = subsample
        self.colsampleByTree = colsampleByTree
        self.minChildWeight = minChildWeight
        self.lambda = lambda
    }

    private enum CodingKeys: String, CodingKey {
        case rounds, maxDepth, learningRate, objective, seed, threads, subsample, colsampleByTree, minChildWeight,
            lambda
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = BoosterParameters()
        rounds = try container.decodeIfPresent(Int.self, forKey: .rounds) ?? defaults.rounds
        maxDepth = try container.decodeIfPresent(Int.self, forKey: .maxDepth) ?? defaults.maxDepth
        learningRate = try container.decodeIfPresent(Double.self, forKey: .learningRate) ?? defaults.learningRate
        objective = try container.decodeIfPresent(String.self, forKey: .objective) ?? defaults.objective
        seed = try container.decodeIfPresent(Int.self, forKey: .seed) ?? defaults.seed
        threads = try container.decodeIfPresent(Int.self, forKey: .threads) ?? defaults.threads
        subsample = try container.decodeIfPresent(Double.self, forKey: .subsample) ?? defaults.subsample
        colsampleByTree =
            try container.decodeIfPresent(Double.self, forKey: .colsampleByTree) ?? defaults.colsampleByTree
        minChildWeight = try container.decodeIfPresent(Double.self, forKey: .minChildWeight) ?? defaults.minChildWeight
        lambda = try container.decodeIfPresent(Double.self, forKey: .lambda) ?? defaults.lambda
    }

    /// Returns `self` if every value is in range.
    ///
    /// - Throws: `MLError.Code.invalidParameter` whose `field` names the first bad parameter and whose
    ///   message lists every problem.
    public func validated() throws -> BoosterParameters {
        var problems = [(field: String, problem: String)]()
        func unit(_ value: Double) -> Bool { value > 0 && value <= 1 }
        if !(1...5000).contains(rounds) { problems.append(("rounds", "must be in 1...5000")) }
        if !(1...20).contains(maxDepth) { problems.append(("maxDepth", "must be in 1...20")) }
        if !unit(learningRate) { problems.append(("learningRate", "must be in (0, 1]")) }
        if !Self.objectives.contains(objective) {
            problems.append(("objective", "must be one of \(Self.objectives.sorted().joined(separator: ", "))"))
        }
        if seed < 0 || seed > Int(Int32.max) { problems.append(("seed", "must be in 0...\(Int32.max)")) }
        if !(1...64).contains(threads) { problems.append(("threads", "must be in 1...64")) }
        if !unit(subsample) { problems.append(("subsample", "must be in (0, 1]")) }
        if !unit(colsampleByTree) { problems.append(("colsampleByTree", "must be in (0, 1]")) }
        if !(minChildWeight >= 0 && minChildWeight.isFinite) {
            problems.append(("minChildWeight", "must be a finite number >= 0"))
        }
        if !(lambda >= 0 && lambda.isFinite) { problems.append(("lambda", "must be a finite number >= 0")) }
        guard let first = problems.first else { return self }
        let message = problems.map { "\($0.field) \($0.problem)" }.joined(separator: "; ")
        throw MLError(.invalidParameter, "invalid booster parameters: \(message)", field: first.field)
    }

    /// The parameters as XGBoost names and renders them (`tree_method=hist`, explicit `nthread` and `seed`).
    var xgboostParameters: [(String, String)] {
        [
            ("booster", "gbtree"),
            ("tree_method", "hist"),
            ("objective", objective),
            ("max_depth", String(maxDepth)),
            ("eta", String(learningRate)),
            ("seed", String(seed)),
            ("nthread", String(threads)),
            ("subsample", String(subsample)),
            ("colsample_bytree", String(colsampleByTree)),
            ("min_child_weight", String(minChildWeight)),
            ("lambda", String(lambda)),
            ("verbosity", "0"),
        ]
    }
}

import Foundation
import PulseContracts
import PulseML
import PulseStorage

/// Pulse's description of a model, stored next to the model file (XGBoost's JSON, or Pulse's logistic-regression
/// JSON): everything needed to score it identically (algorithm, feature spec), to trace it (dataset), to check it
/// (the holdout predictions file) and to watch it (reference profile for drift).
struct ModelManifest: Codable {
    struct DatasetRef: Codable {
        let datasetId: String
        let version: Int
        let datasetVersionId: String
        let contentHash: String
    }

    let modelId: String
    let modelName: String
    let version: Int
    /// `xgboost` or `logistic-regression`.
    let algorithm: String
    let library: String
    /// `binary:logistic` or `reg:squarederror`.
    let objective: String
    let parameters: ModelParameters
    let featureSpec: FeatureSpec
    let dataset: DatasetRef
    let trainRows: Int
    let holdoutRows: Int
    let holdoutFraction: Double
    let holdoutMetrics: ModelMetrics
    let reference: ReferenceProfile
    let modelKey: String
    /// `holdout.csv` beside the model: `key,label,score` per holdout row in cursor order, the score as the stored
    /// model file predicts it (shortest round-trip `Float` text), so serving can be checked against training.
    /// Nil for models trained before holdout predictions were stored.
    let holdoutPredictionsKey: String?
    let createdAt: String
}

extension ModelManifest {
    /// Manifests written before the objective and the holdout file were recorded (every model then was an XGBoost
    /// `binary:logistic` classifier) still load, so models trained by an earlier Pulse keep scoring and evaluating.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        modelId = try container.decode(String.self, forKey: .modelId)
        modelName = try container.decode(String.self, forKey: .modelName)
        version = try container.decode(Int.self, forKey: .version)
        algorithm = try container.decode(String.self, forKey: .algorithm)
        library = try container.decode(String.self, forKey: .library)
        objective = try container.decodeIfPresent(String.self, forKey: .objective) ?? "binary:logistic"
        parameters = try container.decode(ModelParameters.self, forKey: .parameters)
        featureSpec = try container.decode(FeatureSpec.self, forKey: .featureSpec)
        dataset = try container.decode(DatasetRef.self, forKey: .dataset)
        trainRows = try container.decode(Int.self, forKey: .trainRows)
        holdoutRows = try container.decode(Int.self, forKey: .holdoutRows)
        holdoutFraction = try container.decode(Double.self, forKey: .holdoutFraction)
        holdoutMetrics = try container.decode(ModelMetrics.self, forKey: .holdoutMetrics)
        reference = try container.decode(ReferenceProfile.self, forKey: .reference)
        modelKey = try container.decode(String.self, forKey: .modelKey)
        holdoutPredictionsKey = try container.decodeIfPresent(String.self, forKey: .holdoutPredictionsKey)
        createdAt = try container.decode(String.self, forKey: .createdAt)
    }
}

/// The algorithm's parameters, stored flat (`{"rounds": …}` or `{"c": …, "eps": …}`).
enum ModelParameters: Codable, Equatable {
    case xgboost(BoosterParameters)
    case logisticRegression(LogisticRegressionParameters)

    private enum Keys: String, CodingKey { case rounds }

    init(from decoder: any Decoder) throws {
        if try decoder.container(keyedBy: Keys.self).contains(.rounds) {
            self = .xgboost(try BoosterParameters(from: decoder))
        } else {
            self = .logisticRegression(try LogisticRegressionParameters(from: decoder))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .xgboost(let parameters): try parameters.encode(to: encoder)
        case .logisticRegression(let parameters): try parameters.encode(to: encoder)
        }
    }
}

/// A model row with what scoring and evaluation need.
struct StoredModel {
    let id: String
    let name: String
    let version: Int
    let stage: String
    let modelKey: String
    let manifestKey: String
    let trainingJobId: String
    let datasetVersionId: String
    let trainingConfig: StartTraining
    let holdoutMetrics: ModelMetrics

    private static let columns = """
        id, name, version, stage, model_key, manifest_key, training_job_id, dataset_version_id,
        training_config::text AS training_config, holdout_metrics::text AS holdout_metrics
        """

    static func load(id: String, tenant: String, pointer: String, on database: PostgresConnection) throws -> StoredModel {
        let result = try database.execute("SELECT \(columns) FROM models WHERE id = $1 AND tenant_id = $2", [id, tenant])
        guard let row = result.rows.first else { throw Problem.notFound("model \(id)", pointer: pointer) }
        return try StoredModel(row)
    }

    static func production(name: String, tenant: String, on database: PostgresConnection) throws -> StoredModel? {
        let result = try database.execute(
            "SELECT \(columns) FROM models WHERE name = $1 AND tenant_id = $2 AND stage = 'production'", [name, tenant]
        )
        return try result.rows.first.map(StoredModel.init)
    }

    private init(_ row: Row) throws {
        id = try row.string("id")
        name = try row.string("name")
        version = try row.int("version")
        stage = try row.string("stage")
        modelKey = try row.string("model_key")
        manifestKey = try row.string("manifest_key")
        trainingJobId = try row.string("training_job_id")
        datasetVersionId = try row.string("dataset_version_id")
        trainingConfig = try JSONColumn.decode(StartTraining.self, row["training_config"])
        holdoutMetrics = try JSONColumn.decode(ModelMetrics.self, row["holdout_metrics"])
    }

    func manifest(from objects: any ObjectStore) throws -> ModelManifest {
        try JSONCodec.decode(ModelManifest.self, from: try objects.get(manifestKey))
    }

    /// The algorithm that trained the model, from its training request.
    var algorithm: Algorithm {
        get throws {
            let name = trainingConfig.algorithm ?? Algorithm.xgboost.rawValue
            guard let algorithm = Algorithm(rawValue: name) else { throw StageError("model \(id) has an unknown algorithm '\(name)'") }
            return algorithm
        }
    }

    /// The model file, loaded by its algorithm.
    func model(from objects: any ObjectStore) throws -> any TrainedModel {
        try algorithm.loadModel(json: try objects.get(modelKey))
    }

    @available(*, deprecated, renamed: "model(from:)", message: "models are not all boosters")
    func booster(from objects: any ObjectStore) throws -> any TrainedModel {
        try model(from: objects)
    }
}

extension LogisticRegressionParameters {
    /// The producer's optional parameters over Pulse's defaults.
    init(_ given: TrainingParameters?) {
        self.init()
        if let value = given?.c { c = value }
        if let value = given?.eps { eps = value }
    }
}

extension BoosterParameters {
    /// The producer's optional parameters over Pulse's defaults.
    init(_ given: TrainingParameters?) {
        self.init()
        guard let given else { return }
        if let value = given.rounds { rounds = value }
        if let value = given.maxDepth { maxDepth = value }
        if let value = given.learningRate { learningRate = value }
        if let value = given.seed { seed = value }
        if let value = given.subsample { subsample = value }
        if let value = given.colsampleByTree { colsampleByTree = value }
        if let value = given.minChildWeight { minChildWeight = value }
        if let value = given.lambda { lambda = value }
    }
}

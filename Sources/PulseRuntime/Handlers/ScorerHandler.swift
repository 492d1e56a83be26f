import Foundation
import PulseContracts
import PulseML
import PulseStorage
import Synchronization

/// Scores rows with the production model of a name and stores every prediction with its inputs.
/// The production model is looked up per request, so a promotion takes effect on the next request;
/// loaded models (XGBoost or logistic regression) are cached by model id.
public final class ScorerHandler: StageHandler {
    public let stage = Stage.scorer
    public let accepts: Set<String> = [Operations.runPrediction.rawValue]
    private let cache = Mutex<[String: LoadedModel]>([:])

    struct LoadedModel: Sendable {
        let model: any TrainedModel
        let spec: FeatureSpec
    }

    public init() {}

    public func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome {
        let request = try envelope.payload(as: Operations.runPrediction)
        guard let model = try StoredModel.production(name: request.modelName, tenant: envelope.tenantId, on: context.database) else {
            throw Problem.notFound("a production model named '\(request.modelName)'", pointer: "/payload/modelName")
        }
        let loaded = try load(model, objects: context.objects)
        var matrix = DenseMatrix(columns: loaded.spec.features.count)
        for row in request.rows {
            matrix.append(row: loaded.spec.encode { column in FeatureValue(json: row.features[column]) })
        }
        let scores = try loaded.model.predict(matrix)
        let ids = EntityID.derivedSeries(.prediction, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp, count: request.rows.count)
        let predictions = request.rows.enumerated().map { index, row in
            PredictionView(predictionId: ids[index], key: row.key, score: Double(scores[index]))
        }
        let body = PredictionBatchView(modelId: model.id, modelName: model.name, modelVersion: model.version, predictions: predictions)
        return try StageOutcome(body: body) { database in
            try database.copyIn("COPY predictions (id, tenant_id, model_id, message_id, row_key, score, inputs) FROM STDIN WITH (FORMAT csv)") { write in
                var buffer = TextBuffer()
                for (index, prediction) in predictions.enumerated() {
                    for field in [prediction.predictionId, envelope.tenantId, model.id, envelope.messageId] {
                        buffer.appendCSVField(field)
                        buffer.append(byte: UInt8(ascii: ","))
                    }
                    if let key = prediction.key { buffer.appendCSVField(key) }
                    buffer.append(",\(prediction.score),")
                    buffer.appendCSVField(utf8: CanonicalJSON.data(.object(request.rows[index].features)))
                    buffer.append(byte: UInt8(ascii: "\n"))
                    if buffer.count > 1 << 20 { try write(buffer.take()) }
                }
                if buffer.count > 0 { try write(buffer.take()) }
            }
        }
    }

    private func load(_ model: StoredModel, objects: any ObjectStore) throws -> LoadedModel {
        if let cached = cache.withLock({ $0[model.id] }) { return cached }
        let loaded = LoadedModel(model: try model.model(from: objects), spec: try model.manifest(from: objects).featureSpec)
        cache.withLock { $0[model.id] = loaded }
        return loaded
    }
}

extension FeatureValue {
    /// A JSON input value as a feature value: numbers, strings and booleans as they are; null or absent is missing.
    init(json: JSONValue?) {
        switch json {
        case .number(let number): self = .number(number)
        case .string(let text): self = .text(text)
        case .bool(let flag): self = .bool(flag)
        default: self = .missing
        }
    }
}

struct PredictionView: Codable {
    let predictionId: String
    let key: String?
    let score: Double
}

struct PredictionBatchView: Codable {
    let modelId: String
    let modelName: String
    let modelVersion: Int
    let predictions: [PredictionView]
}

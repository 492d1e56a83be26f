import Foundation
import PulseContracts
import PulseCore
import PulseML
import PulseStorage

/// Trains a model (XGBoost classifier or regressor, or a logistic-regression baseline) from a dataset version only
/// (never live data), verifying the snapshot's hashes first, and registers it as a candidate model.
///
/// Deterministic: the same dataset version and request give a byte-identical model file and the same metrics on
/// any trainer process (fixed seed and thread count for XGBoost; liblinear is single-threaded and seedless).
public struct TrainerHandler: StageHandler {
    public let stage = Stage.trainer
    public let accepts: Set<String> = [Operations.startTraining.rawValue, Operations.snapshotCreated.rawValue]

    public init() {}

    public func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome {
        if envelope.name == Operations.startTraining.rawValue {
            return try train(envelope.payload(as: Operations.startTraining), runId: nil, envelope, context)
        }
        let event = try envelope.payload(as: Operations.snapshotCreated)
        guard let runId = event.runId else { return .ignored("snapshot is not part of a retraining run") }
        let run = try RetrainingRunRecord.load(runId, tenant: envelope.tenantId, on: context.database)
        var request = run.config.training
        request.datasetId = event.datasetId
        request.datasetVersion = event.datasetVersion
        return try train(request, runId: runId, envelope, context)
    }

    private func train(_ request: StartTraining, runId: String?, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let started = Date()
        let manifest = try TrainingData.manifest(datasetId: request.datasetId, version: request.datasetVersion, tenant: envelope.tenantId, on: context.database)
        let data = try TrainingData.load(manifest: manifest, request: request, objects: context.objects)
        let loaded = Date()

        let trainLabels = Array(data.labels[data.split.train])
        let trainMatrix = data.matrix.rows(data.split.train)
        let fitted = try Self.fit(request, matrix: trainMatrix, labels: trainLabels, spec: data.spec, logger: context.logger)
        let modelBytes = try fitted.model.serializedJSON()
        // Score the holdout with the model file as the scorer will load it, so the stored holdout predictions are
        // exactly what serving returns for the same inputs.
        let stored = try fitted.algorithm.loadModel(json: modelBytes)
        let holdoutLabels = Array(data.labels[data.split.holdout])
        let holdoutScores = try stored.predict(data.matrix.rows(data.split.holdout))
        let metrics = ModelMetrics(objective: fitted.objective, labels: holdoutLabels, scores: holdoutScores)
        let reference = ReferenceProfile.build(spec: data.spec, matrix: trainMatrix, predictions: try stored.predict(trainMatrix))
        let trained = Date()

        let jobId = EntityID.derived(.trainingJob, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let modelId = EntityID.derived(.model, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let latest = try context.database.execute(
            "SELECT coalesce(max(version), 0) AS version FROM models WHERE tenant_id = $1 AND name = $2", [envelope.tenantId, request.modelName]
        )
        let version = (try latest.rows.first?.int("version") ?? 0) + 1
        let prefix = "tenants/\(envelope.tenantId)/models/\(request.modelName)/\(modelId)"
        let holdoutKey = "\(prefix)/holdout.csv"
        let modelManifest = ModelManifest(
            modelId: modelId, modelName: request.modelName, version: version, algorithm: fitted.algorithm.rawValue, library: fitted.library,
            objective: fitted.objective, parameters: fitted.parameters, featureSpec: data.spec,
            dataset: .init(datasetId: manifest.datasetId, version: manifest.version, datasetVersionId: manifest.datasetVersionId, contentHash: manifest.contentHash),
            trainRows: data.split.train.count, holdoutRows: data.split.holdout.count, holdoutFraction: request.holdoutFraction ?? 0.2,
            holdoutMetrics: metrics, reference: reference, modelKey: "\(prefix)/model.json", holdoutPredictionsKey: holdoutKey,
            createdAt: Timestamp.format(Date())
        )
        try context.objects.put(modelManifest.modelKey, modelBytes)
        try context.objects.put(
            holdoutKey, Self.holdoutCSV(keys: data.holdoutKeys, labels: holdoutLabels, scores: holdoutScores))
        try context.objects.put("\(prefix)/manifest.json", try JSONCodec.encode(modelManifest))

        let body = TrainingView(
            trainingJobId: jobId, modelId: modelId, modelName: request.modelName, version: version, datasetId: manifest.datasetId,
            datasetVersion: manifest.version, features: data.spec.features.count, trainRows: data.split.train.count,
            holdoutRows: data.split.holdout.count, droppedMissingLabel: data.droppedMissingLabel, holdoutMetrics: metrics,
            loadSeconds: loaded.timeIntervalSince(started), trainSeconds: trained.timeIntervalSince(loaded)
        )
        context.logger.info("model trained", ["pulse.model_id": modelId, "pulse.algorithm": fitted.algorithm.rawValue])
        let event = ModelEvent(modelId: modelId, modelName: request.modelName, runId: runId)
        return try StageOutcome(body: body, events: [try OutgoingEvent(Operations.trainingCompleted, event)]) { database in
            // Trainers of one model name register versions one at a time. The number was read before training; if a
            // concurrent job registered it since, this job goes round again (and reads the next number) instead of
            // failing on the unique key and being parked.
            try database.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ["model-version/\(envelope.tenantId)/\(request.modelName)"])
            let taken = try database.execute(
                "SELECT 1 FROM models WHERE tenant_id = $1 AND name = $2 AND version = $3", [envelope.tenantId, request.modelName, String(version)]
            )
            guard taken.rows.isEmpty else {
                throw StageError("version \(version) of model '\(request.modelName)' was registered by a concurrent job; retrying for the next version", disposition: .retry)
            }
            try database.execute(
                """
                INSERT INTO training_jobs (id, tenant_id, dataset_version_id, model_name, request, status, model_id, run_id)
                VALUES ($1, $2, $3, $4, $5::jsonb, 'completed', $6, $7)
                """,
                [jobId, envelope.tenantId, manifest.datasetVersionId, request.modelName, try JSONColumn.text(request), modelId, runId]
            )
            try database.execute(
                """
                INSERT INTO models (id, tenant_id, name, version, stage, training_job_id, dataset_version_id, model_key, manifest_key,
                                    feature_spec, training_config, holdout_metrics)
                VALUES ($1, $2, $3, $4, 'candidate', $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb)
                """,
                [modelId, envelope.tenantId, request.modelName, String(version), jobId, manifest.datasetVersionId, modelManifest.modelKey,
                 "\(prefix)/manifest.json", try JSONColumn.text(data.spec), try JSONColumn.text(request), try JSONColumn.text(metrics)]
            )
            try database.link(tenant: envelope.tenantId, from: ("dataset_version", manifest.datasetVersionId), to: ("training_job", jobId), relation: "trained_on")
            try database.link(tenant: envelope.tenantId, from: ("training_job", jobId), to: ("model", modelId), relation: "produced")
            if let runId {
                try database.execute("UPDATE retraining_runs SET candidate_model_id = $2 WHERE id = $1", [runId, modelId])
            }
        }
    }
}

struct TrainingView: Codable {
    let trainingJobId: String
    let modelId: String
    let modelName: String
    let version: Int
    let datasetId: String
    let datasetVersion: Int
    let features: Int
    let trainRows: Int
    let holdoutRows: Int
    let droppedMissingLabel: Int
    let holdoutMetrics: ModelMetrics
    let loadSeconds: Double
    let trainSeconds: Double
}

extension TrainerHandler {
    /// A trained model with what its manifest records.
    struct Fitted {
        let algorithm: Algorithm
        let objective: String
        let model: any TrainedModel
        let parameters: ModelParameters
        let library: String
    }

    /// Trains the request's algorithm; a parameter out of range is a problem naming `/payload/parameters/<name>`.
    static func fit(_ request: StartTraining, matrix: DenseMatrix, labels: [Float], spec: FeatureSpec, logger: Logger) throws -> Fitted {
        let name = request.algorithm ?? Algorithm.xgboost.rawValue
        guard let algorithm = Algorithm(rawValue: name) else {
            throw Problem.invalidField(pointer: "/payload/algorithm", detail: "unsupported algorithm '\(name)'")
        }
        let objective = request.objective ?? "binary:logistic"
        do {
            switch algorithm {
            case .xgboost:
                var parameters = BoosterParameters(request.parameters)
                parameters.objective = objective
                parameters = try parameters.validated()
                let booster = try Booster.train(features: matrix, labels: labels, parameters: parameters) { round in
                    if round % 25 == 0 { logger.info("training", ["pulse.round": String(round), "pulse.rounds": String(parameters.rounds)]) }
                }
                return Fitted(
                    algorithm: algorithm, objective: objective, model: booster, parameters: .xgboost(parameters),
                    library: "xgboost \(Booster.libraryVersion)")
            case .logisticRegression:
                guard objective == "binary:logistic" else {
                    throw Problem.invalidField(pointer: "/payload/objective", detail: "logistic-regression supports binary:logistic only")
                }
                let parameters = try LogisticRegressionParameters(request.parameters).validated()
                let model = try LogisticRegression.train(features: matrix, labels: labels, spec: spec, parameters: parameters)
                return Fitted(
                    algorithm: algorithm, objective: objective, model: model, parameters: .logisticRegression(parameters),
                    library: "liblinear \(LogisticRegression.libraryVersion)")
            }
        } catch let error as MLError where error.code == .invalidParameter {
            let pointer = error.field.map { $0 == "objective" ? "/payload/objective" : "/payload/parameters/\($0)" } ?? "/payload/parameters"
            throw Problem.invalidField(pointer: pointer, detail: error.message)
        } catch let error as MLError where error.field == "labels" {
            throw Problem.invalidField(pointer: "/payload/label", detail: error.message)
        }
    }

    /// `key,label,score` per holdout row; numbers as shortest round-trip `Float` text.
    static func holdoutCSV(keys: [String], labels: [Float], scores: [Float]) -> Data {
        var buffer = TextBuffer()
        buffer.append("key,label,score\n")
        for (index, key) in keys.enumerated() {
            buffer.appendCSVField(key)
            buffer.append(",\(labels[index]),\(scores[index])\n")
        }
        return Data(buffer.take())
    }
}

import Foundation
import PulseContracts
import PulseML
import PulseStorage

/// Scores a candidate and the current champion on the candidate's own time-ordered holdout, so the comparison
/// is like for like.
public struct EvaluatorHandler: StageHandler {
    public let stage = Stage.evaluator
    public let accepts: Set<String> = [Operations.evaluateModel.rawValue, Operations.trainingCompleted.rawValue]

    public init() {}

    public func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome {
        if envelope.name == Operations.evaluateModel.rawValue {
            return try evaluate(envelope.payload(as: Operations.evaluateModel).modelId, runId: nil, envelope, context)
        }
        let event = try envelope.payload(as: Operations.trainingCompleted)
        guard let runId = event.runId else { return .ignored("training is not part of a retraining run") }
        return try evaluate(event.modelId, runId: runId, envelope, context)
    }

    private func evaluate(_ modelId: String, runId: String?, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let candidate = try StoredModel.load(id: modelId, tenant: envelope.tenantId, pointer: "/payload/modelId", on: context.database)
        let manifest = try candidate.manifest(from: context.objects)
        let dataset = try TrainingData.manifest(
            datasetId: manifest.dataset.datasetId, version: manifest.dataset.version, tenant: envelope.tenantId, on: context.database
        )
        let data = try TrainingData.load(manifest: dataset, request: candidate.trainingConfig, spec: manifest.featureSpec, objects: context.objects)
        let holdoutLabels = Array(data.labels[data.split.holdout])
        // Classification or regression metrics by the candidate's objective; the champion is measured the same way.
        let measure = { (scores: [Float]) in ModelMetrics(objective: manifest.objective, labels: holdoutLabels, scores: scores) }
        let metrics = measure(try candidate.model(from: context.objects).predict(data.matrix.rows(data.split.holdout)))

        var championMetrics: ModelMetrics?
        let champion = try StoredModel.production(name: candidate.name, tenant: envelope.tenantId, on: context.database)
        if let champion, champion.id != candidate.id {
            let championManifest = try champion.manifest(from: context.objects)
            let scores = try champion.model(from: context.objects).predict(data.holdout(encodedWith: championManifest.featureSpec))
            championMetrics = measure(scores)
        }
        let evaluationId = EntityID.derived(.evaluation, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let body = EvaluationView(
            evaluationId: evaluationId, modelId: candidate.id, modelName: candidate.name, holdoutRows: holdoutLabels.count,
            metrics: metrics, championId: champion?.id == candidate.id ? nil : champion?.id, championMetrics: championMetrics
        )
        let event = ModelEvent(modelId: candidate.id, modelName: candidate.name, runId: runId)
        return try StageOutcome(body: body, events: [try OutgoingEvent(Operations.modelEvaluated, event)]) { database in
            try database.execute(
                """
                INSERT INTO evaluations (id, tenant_id, model_id, champion_id, metrics, champion_metrics, holdout_rows, run_id)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8)
                """,
                [evaluationId, envelope.tenantId, candidate.id, body.championId, try JSONColumn.text(metrics),
                 try championMetrics.map { try JSONColumn.text($0) }, String(holdoutLabels.count), runId]
            )
            try database.link(tenant: envelope.tenantId, from: ("model", candidate.id), to: ("evaluation", evaluationId), relation: "evaluated")
        }
    }
}

struct EvaluationView: Codable {
    let evaluationId: String
    let modelId: String
    let modelName: String
    let holdoutRows: Int
    let metrics: ModelMetrics
    let championId: String?
    let championMetrics: ModelMetrics?
}

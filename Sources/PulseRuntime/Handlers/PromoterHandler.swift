import Foundation
import PulseContracts
import PulseCore
import PulseML
import PulseStorage

/// Applies the promotion policy to a candidate's latest evaluation: it becomes the production model (the old one
/// is archived) or is rejected, and either way the decision is recorded with the numbers behind it.
public struct PromoterHandler: StageHandler {
    public let stage = Stage.promoter
    public let accepts: Set<String> = [Operations.promoteModel.rawValue, Operations.modelEvaluated.rawValue]

    public init() {}

    public func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome {
        if envelope.name == Operations.promoteModel.rawValue {
            let request = try envelope.payload(as: Operations.promoteModel)
            return try promote(request.modelId, policy: request.policy, runId: nil, envelope, context)
        }
        let event = try envelope.payload(as: Operations.modelEvaluated)
        guard let runId = event.runId else { return .ignored("evaluation is not part of a retraining run") }
        let run = try RetrainingRunRecord.load(runId, tenant: envelope.tenantId, on: context.database)
        return try promote(event.modelId, policy: run.config.policy, runId: runId, envelope, context)
    }

    private func promote(_ modelId: String, policy given: PromotionPolicyPayload?, runId: String?, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let candidate = try StoredModel.load(id: modelId, tenant: envelope.tenantId, pointer: "/payload/modelId", on: context.database)
        guard candidate.stage == "candidate" else {
            throw Problem.conflict("model \(modelId) is \(candidate.stage); only candidates can be promoted")
        }
        let evaluation = try context.database.execute(
            """
            SELECT id, champion_id, metrics::text AS metrics, champion_metrics::text AS champion_metrics
            FROM evaluations WHERE model_id = $1 AND tenant_id = $2 ORDER BY created_at DESC LIMIT 1
            """,
            [modelId, envelope.tenantId]
        )
        guard let row = evaluation.rows.first else {
            throw Problem.conflict("model \(modelId) has no evaluation yet; evaluate it first (POST /models/\(modelId)/evaluate)")
        }
        let champion = try StoredModel.production(name: candidate.name, tenant: envelope.tenantId, on: context.database)
        guard row["champion_id"] == champion?.id else {
            throw Problem.conflict("the production model changed since model \(modelId) was evaluated; evaluate it again")
        }
        let metrics = try JSONColumn.decode(ClassificationMetrics.self, row["metrics"])
        let championMetrics = try row["champion_metrics"].map { try JSONColumn.decode(ClassificationMetrics.self, $0) }
        let policy = PromotionPolicy(minAuc: given?.minAuc, maxAucRegression: given?.maxAucRegression)
        let decision = policy.decide(candidateAuc: metrics.auc, championAuc: championMetrics?.auc)

        let promotionId = EntityID.derived(.promotion, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let evidence = PromotionEvidence(evaluationId: try row.string("id"), candidate: metrics, champion: championMetrics)
        let body = PromotionView(
            promotionId: promotionId, modelId: modelId, modelName: candidate.name, decision: decision.promote ? "promoted" : "rejected",
            reason: decision.reason, previousModelId: champion?.id, policy: policy, evidence: evidence
        )
        let event = ModelEvent(modelId: modelId, modelName: candidate.name, reason: decision.reason, runId: runId)
        let events = [try OutgoingEvent(decision.promote ? Operations.modelPromoted : Operations.modelRejected, event)]
        return try StageOutcome(body: body, events: events) { database in
            if decision.promote {
                try database.execute(
                    "UPDATE models SET stage = 'archived', stage_changed_at = now() WHERE tenant_id = $1 AND name = $2 AND stage = 'production'",
                    [envelope.tenantId, candidate.name]
                )
            }
            try database.execute(
                "UPDATE models SET stage = $2, stage_changed_at = now() WHERE id = $1 AND stage = 'candidate'",
                [modelId, decision.promote ? "production" : "rejected"]
            )
            try database.execute(
                """
                INSERT INTO promotions (id, tenant_id, model_id, previous_model_id, decision, reason, policy, evidence, run_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)
                """,
                [promotionId, envelope.tenantId, modelId, champion?.id, body.decision, decision.reason, try JSONColumn.text(policy),
                 try JSONColumn.text(evidence), runId]
            )
            try database.link(tenant: envelope.tenantId, from: ("model", modelId), to: ("promotion", promotionId), relation: body.decision)
        }
    }
}

struct PromotionEvidence: Codable {
    let evaluationId: String
    let candidate: ClassificationMetrics
    let champion: ClassificationMetrics?
}

struct PromotionView: Codable {
    let promotionId: String
    let modelId: String
    let modelName: String
    let decision: String
    let reason: String
    let previousModelId: String?
    let policy: PromotionPolicy
    let evidence: PromotionEvidence
}

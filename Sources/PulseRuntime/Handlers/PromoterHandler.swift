import Foundation
import PulseContracts
import PulseCore
import PulseStorage

/// Moves the production pointer of a model name: applies the promotion policy to a candidate's latest evaluation
/// (promoted, rejected, or awaiting a person's approval), takes a reviewer's approval or rejection, and rolls back.
/// Every decision is recorded in `promotions` with the numbers behind it.
///
/// Each decision is taken inside the host's transaction under the name's `ProductionPointer` lock, on the production
/// model read there: a candidate evaluated against a champion that is no longer production is not promoted over it
/// (decision `conflict`, 409: evaluate it again), so concurrent promoters leave exactly one production model.
public struct PromoterHandler: StageHandler {
    public let stage = Stage.promoter
    public let accepts: Set<String> = [
        Operations.promoteModel.rawValue, Operations.approveModel.rawValue, Operations.rejectModel.rawValue,
        Operations.rollbackModel.rawValue, Operations.modelEvaluated.rawValue,
    ]

    public init() {}

    public func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome {
        switch envelope.name {
        case Operations.promoteModel.rawValue:
            let request = try envelope.payload(as: Operations.promoteModel)
            return try promote(request.modelId, policy: request.policy, runId: nil, envelope, context)
        case Operations.approveModel.rawValue:
            return try review(envelope.payload(as: Operations.approveModel), approve: true, envelope, context)
        case Operations.rejectModel.rawValue:
            return try review(envelope.payload(as: Operations.rejectModel), approve: false, envelope, context)
        case Operations.rollbackModel.rawValue:
            return try rollback(envelope.payload(as: Operations.rollbackModel), envelope, context)
        default:
            let event = try envelope.payload(as: Operations.modelEvaluated)
            guard let runId = event.runId else { return .ignored("evaluation is not part of a retraining run") }
            let run = try RetrainingRunRecord.load(runId, tenant: envelope.tenantId, on: context.database)
            return try promote(event.modelId, policy: run.config.policy, runId: runId, envelope, context)
        }
    }

    private func promote(_ modelId: String, policy given: PromotionPolicyPayload?, runId: String?, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let tenant = envelope.tenantId
        let candidate = try StoredModel.load(id: modelId, tenant: tenant, pointer: "/payload/modelId", on: context.database)
        guard candidate.stage == "candidate" else {
            if let runId { return StageOutcome(settle: { _ in try Self.decidedElsewhere(candidate.id, candidate.name, stage: candidate.stage, runId: runId) }) }
            throw Problem.conflict("model \(modelId) is \(candidate.stage); only candidates can be promoted")
        }
        let evaluation = try context.database.execute(
            """
            SELECT id, champion_id, metrics::text AS metrics, champion_metrics::text AS champion_metrics
            FROM evaluations WHERE model_id = $1 AND tenant_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1
            """,
            [modelId, tenant]
        )
        guard let row = evaluation.rows.first else {
            throw Problem.conflict("model \(modelId) has no evaluation yet; evaluate it first (POST /models/\(modelId)/evaluate)")
        }
        let evaluationId = try row.string("id")
        let evaluatedChampion = row["champion_id"]
        let metrics = try MetricValues.decode(row["metrics"])
        let championMetrics = try row["champion_metrics"].map { try MetricValues.decode($0) }
        let decision = PromotionPolicy(given).decide(candidate: metrics, champion: championMetrics)
        if runId == nil, let unmeasured = decision.checks.first(where: { $0.candidate == nil }) {
            // A rule on a metric this kind of model does not have (AUC for a regressor, RMSE for a classifier) is a
            // mistake in the request, not a verdict on the model: refuse it and leave the model a candidate.
            throw Problem.invalidField(
                pointer: Self.pointer(of: unmeasured),
                detail: "model \(modelId) has no \(unmeasured.metric) metric; its evaluation has \(metrics.keys.sorted().joined(separator: ", "))"
            )
        }
        let promotionId = EntityID.derived(.promotion, tenant: tenant, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let policyJSON = try JSONValue.encode(decision.policy)

        return StageOutcome { database in
            try ProductionPointer.lock(tenant: tenant, name: candidate.name, on: database)
            let stage = try ProductionPointer.stage(of: modelId, tenant: tenant, on: database)
            guard stage == "candidate" else {
                if let runId { return try Self.decidedElsewhere(modelId, candidate.name, stage: stage ?? "gone", runId: runId) }
                throw Problem.conflict("model \(modelId) is \(stage ?? "gone"); only candidates can be promoted")
            }
            let production = try ProductionPointer.current(tenant: tenant, name: candidate.name, on: database)
            func record(_ kind: PromotionRecord.Decision, _ reason: String) -> PromotionRecord {
                PromotionRecord(
                    promotionId: promotionId, modelId: modelId, modelName: candidate.name, decision: kind, reason: reason,
                    previousModelId: production, policy: policyJSON,
                    evidence: PromotionEvidence(
                        evaluationId: evaluationId, championId: evaluatedChampion, productionModelId: production, candidate: metrics,
                        champion: championMetrics, checks: decision.checks
                    ),
                    actor: nil, note: nil, evaluationId: evaluationId, runId: runId
                )
            }
            guard production == evaluatedChampion else {
                let conflict = record(.conflict, Self.staleChampion(modelId, evaluatedAgainst: evaluatedChampion, production: production))
                try conflict.insert(tenant: tenant, on: database)
                return try Self.conflictSettlement(conflict)
            }
            switch decision.outcome {
            case .promote:
                let promoted = record(.promoted, decision.reason)
                try ProductionPointer.move(tenant: tenant, name: candidate.name, to: modelId, retiring: ModelStage.archived.rawValue, on: database)
                try promoted.insert(tenant: tenant, on: database)
                let event = ModelEvent(modelId: modelId, modelName: candidate.name, reason: decision.reason, runId: runId)
                return try .init(body: promoted, events: [try OutgoingEvent(Operations.modelPromoted, event)])
            case .reject:
                let rejected = record(.rejected, decision.reason)
                try database.execute("UPDATE models SET stage = 'rejected', stage_changed_at = now() WHERE id = $1", [modelId])
                try rejected.insert(tenant: tenant, on: database)
                let event = ModelEvent(modelId: modelId, modelName: candidate.name, reason: decision.reason, runId: runId)
                return try .init(body: rejected, events: [try OutgoingEvent(Operations.modelRejected, event)])
            case .awaitApproval:
                // No event: a retraining run stays open until a reviewer approves or rejects.
                let waiting = record(.awaitingApproval, decision.reason)
                try waiting.insert(tenant: tenant, on: database)
                return try .init(body: waiting)
            }
        }
    }

    static func staleChampion(_ modelId: String, evaluatedAgainst champion: String?, production: String?) -> String {
        "the production model changed since model \(modelId) was evaluated (evaluated against \(champion ?? "no production model"), "
            + "production is now \(production ?? "none")); evaluate it again"
    }

    /// A conflict is recorded and answered 409; the candidate stays a candidate. Within a retraining run the
    /// rejected event closes the run (its candidate was not promoted, and why); a direct request emits nothing,
    /// since the model was not rejected and can be evaluated again.
    static func conflictSettlement(_ record: PromotionRecord) throws -> StageOutcome.Settlement {
        let event = ModelEvent(modelId: record.modelId, modelName: record.modelName, reason: record.reason, runId: record.runId)
        return StageOutcome.Settlement(
            reply: Reply(problem: Problem.conflict("\(record.reason) (decision \(record.promotionId))")),
            events: record.runId == nil ? [] : [try OutgoingEvent(Operations.modelRejected, event)]
        )
    }

    /// A retraining run's candidate that someone promoted, approved or rejected by hand before the run's decision:
    /// the run is closed with what happened instead of the evaluation event being parked (which would leave the
    /// run `running` and block every later run of the name).
    static func decidedElsewhere(_ modelId: String, _ name: String, stage: String, runId: String) throws -> StageOutcome.Settlement {
        let promoted = stage == ModelStage.production.rawValue || stage == ModelStage.archived.rawValue
        let reason = "model \(modelId) was already \(stage) when the run's evaluation arrived"
        let event = ModelEvent(modelId: modelId, modelName: name, reason: reason, runId: runId)
        return try StageOutcome.Settlement(
            body: ["modelId": modelId, "stage": stage, "reason": reason],
            events: [try OutgoingEvent(promoted ? Operations.modelPromoted : Operations.modelRejected, event)]
        )
    }

    /// Where in a promote request the rule behind `check` was written.
    static func pointer(of check: PromotionPolicy.Check) -> String {
        switch check.rule {
        case .minimum: "/payload/policy/minimums/\(check.metric)"
        case .maximum: "/payload/policy/maximums/\(check.metric)"
        case .regression: "/payload/policy/compareOn"
        }
    }
}

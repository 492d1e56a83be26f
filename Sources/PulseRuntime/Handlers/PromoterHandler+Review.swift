import Foundation
import PulseContracts
import PulseCore
import PulseStorage

extension PromoterHandler {
    /// A reviewer's approval or rejection of a candidate whose latest decision is `awaiting-approval`. An approval
    /// promotes it only if the production model is still the one it was evaluated against (else `conflict`, 409).
    func review(_ request: ReviewModel, approve: Bool, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let tenant = envelope.tenantId
        let candidate = try StoredModel.load(id: request.modelId, tenant: tenant, pointer: "/payload/modelId", on: context.database)
        let promotionId = EntityID.derived(.promotion, tenant: tenant, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let approver = request.approver.trimmingCharacters(in: .whitespacesAndNewlines)
        let verb = approve ? "approved" : "rejected"

        return StageOutcome { database in
            try ProductionPointer.lock(tenant: tenant, name: candidate.name, on: database)
            let stage = try ProductionPointer.stage(of: candidate.id, tenant: tenant, on: database)
            guard stage == "candidate" else {
                throw Problem.conflict("model \(candidate.id) is \(stage ?? "gone"); only a candidate awaiting approval can be \(verb)")
            }
            guard let waiting = try PromotionRecord.latest(modelId: candidate.id, tenant: tenant, on: database),
                  waiting["decision"] == PromotionRecord.Decision.awaitingApproval.rawValue else {
                throw Problem.conflict(
                    "model \(candidate.id) is not awaiting approval; promote it with a policy that has requireApproval first"
                )
            }
            let production = try ProductionPointer.current(tenant: tenant, name: candidate.name, on: database)
            let evaluatedAgainst = waiting["previous_model_id"]
            let evidence = try JSONColumn.decode(PromotionEvidence.self, waiting["evidence"])
            let policy = try JSONValue.parse(Data((waiting["policy"] ?? "{}").utf8))
            let runId = waiting["run_id"]
            let note = request.note.map { ": \($0)" } ?? ""
            func record(_ kind: PromotionRecord.Decision, _ reason: String) -> PromotionRecord {
                PromotionRecord(
                    promotionId: promotionId, modelId: candidate.id, modelName: candidate.name, decision: kind, reason: reason,
                    previousModelId: production, policy: policy,
                    evidence: PromotionEvidence(
                        evaluationId: evidence.evaluationId, championId: evidence.championId, productionModelId: production,
                        candidate: evidence.candidate, champion: evidence.champion, checks: evidence.checks
                    ),
                    actor: approver, note: request.note, evaluationId: waiting["evaluation_id"], runId: runId
                )
            }
            let event = { (reason: String) in ModelEvent(modelId: candidate.id, modelName: candidate.name, reason: reason, runId: runId) }
            guard approve else {
                let rejected = record(.rejected, "rejected by \(approver)\(note)")
                try database.execute("UPDATE models SET stage = 'rejected', stage_changed_at = now() WHERE id = $1", [candidate.id])
                try rejected.insert(tenant: tenant, on: database)
                return try .init(body: rejected, events: [try OutgoingEvent(Operations.modelRejected, event(rejected.reason))])
            }
            guard production == evaluatedAgainst else {
                let reason = Self.staleChampion(candidate.id, evaluatedAgainst: evaluatedAgainst, production: production)
                let conflict = record(.conflict, "approved by \(approver), but \(reason)")
                try conflict.insert(tenant: tenant, on: database)
                return try Self.conflictSettlement(conflict)
            }
            let promoted = record(.promoted, "approved by \(approver)\(note)")
            try ProductionPointer.move(tenant: tenant, name: candidate.name, to: candidate.id, retiring: ModelStage.archived.rawValue, on: database)
            try promoted.insert(tenant: tenant, on: database)
            return try .init(body: promoted, events: [try OutgoingEvent(Operations.modelPromoted, event(promoted.reason))])
        }
    }
}

import Foundation
import PulseContracts
import PulseCore
import PulseStorage

extension PromoterHandler {
    /// The production model of a name becomes `rolled-back` and the one before it production again: by default the
    /// most recent earlier production model that is `archived` (a model rolled back before is skipped, so rolling
    /// back twice steps back twice), or `targetModelId`, a model of the same name that was production before.
    /// Recorded as decision `rollback` on the restored model, `previousModelId` = the model rolled back.
    func rollback(_ request: RollbackModel, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let tenant = envelope.tenantId
        let name = request.modelName
        let promotionId = EntityID.derived(.promotion, tenant: tenant, messageId: envelope.messageId, timestamp: envelope.timestamp)

        return StageOutcome { database in
            try ProductionPointer.lock(tenant: tenant, name: name, on: database)
            guard let production = try ProductionPointer.current(tenant: tenant, name: name, on: database) else {
                throw Problem.conflict("model \(name) has no production model; there is nothing to roll back")
            }
            let target: String
            if let wanted = request.targetModelId {
                target = try Self.checkedTarget(wanted, name: name, production: production, tenant: tenant, on: database)
            } else {
                let earlier = try database.execute(
                    """
                    SELECT p.model_id FROM promotions p JOIN models m ON m.id = p.model_id
                    WHERE p.tenant_id = $1 AND m.name = $2 AND p.decision IN ('promoted', 'rollback') AND m.stage = 'archived'
                    ORDER BY p.created_at DESC, p.id DESC LIMIT 1
                    """,
                    [tenant, name]
                )
                guard let id = earlier.rows.first?["model_id"] else {
                    throw Problem.conflict(
                        "model \(name) has no earlier production model to roll back to (\(production) is the first, or every earlier one was rolled back or removed)"
                    )
                }
                target = id
            }
            let why = request.reason.map { ": \($0)" } ?? ""
            let reason = "rolled back from \(production) to \(target)\(why)"
            try ProductionPointer.move(tenant: tenant, name: name, to: target, retiring: ModelStage.rolledBack.rawValue, on: database)
            let record = PromotionRecord(
                promotionId: promotionId, modelId: target, modelName: name, decision: .rollback, reason: reason, previousModelId: production,
                policy: .object([:]),
                evidence: PromotionEvidence(
                    evaluationId: nil, championId: nil, productionModelId: production, candidate: nil, champion: nil, checks: nil
                ),
                actor: request.requestedBy, note: request.reason, evaluationId: nil, runId: nil
            )
            try record.insert(tenant: tenant, on: database)
            try database.link(tenant: tenant, from: ("model", production), to: ("promotion", promotionId), relation: "rolled-back")
            let event = ModelEvent(modelId: target, modelName: name, reason: reason)
            return try .init(body: record, events: [try OutgoingEvent(Operations.modelRolledBack, event)])
        }
    }

    /// A requested target must be another model of the same name that was production before.
    private static func checkedTarget(_ id: String, name: String, production: String, tenant: String, on database: PostgresConnection) throws -> String {
        let pointer = "/payload/targetModelId"
        let row = try database.execute(
            """
            SELECT m.name, m.stage,
                   EXISTS (SELECT 1 FROM promotions p WHERE p.model_id = m.id AND p.decision IN ('promoted', 'rollback')) AS was_production
            FROM models m WHERE m.id = $1 AND m.tenant_id = $2
            """,
            [id, tenant]
        ).rows.first
        guard let row else { throw Problem.notFound("model \(id)", pointer: pointer) }
        guard row["name"] == name else {
            throw Problem.invalidField(pointer: pointer, detail: "model \(id) is a version of \(row["name"] ?? "another model"), not of \(name)")
        }
        guard id != production else { throw Problem.conflict("model \(id) is already the production model of \(name)") }
        guard try row.bool("was_production"), row["stage"] == ModelStage.archived.rawValue || row["stage"] == ModelStage.rolledBack.rawValue else {
            throw Problem.conflict("model \(id) (\(row["stage"] ?? "?")) was never the production model of \(name); only an earlier production model can be rolled back to")
        }
        return id
    }
}

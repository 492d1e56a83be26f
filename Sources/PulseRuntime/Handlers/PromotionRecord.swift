import Foundation
import PulseContracts
import PulseCore
import PulseStorage

/// A decision of the promoter as it is stored in `promotions` and answered: the numbers behind it included.
struct PromotionRecord: Codable {
    enum Decision: String, Codable {
        case promoted, rejected, conflict, rollback
        case awaitingApproval = "awaiting-approval"
    }

    let promotionId: String
    let modelId: String
    let modelName: String
    let decision: Decision
    let reason: String
    /// The production model when the decision was taken (for a rollback: the model rolled back).
    let previousModelId: String?
    let policy: JSONValue
    let evidence: PromotionEvidence
    /// Who decided: an approver, whoever asked for a rollback; nil for the policy alone.
    let actor: String?
    let note: String?
    let evaluationId: String?
    let runId: String?

    func insert(tenant: String, on database: PostgresConnection) throws {
        try database.execute(
            """
            INSERT INTO promotions (id, tenant_id, model_id, previous_model_id, decision, reason, policy, evidence, run_id, actor, note, evaluation_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12)
            """,
            [promotionId, tenant, modelId, previousModelId, decision.rawValue, reason, try JSONColumn.text(policy),
             try JSONColumn.text(evidence), runId, actor, note, evaluationId]
        )
        try database.link(tenant: tenant, from: ("model", modelId), to: ("promotion", promotionId), relation: decision.rawValue)
    }

    /// The model's latest decision (the one a reviewer acts on).
    static func latest(modelId: String, tenant: String, on database: PostgresConnection) throws -> Row? {
        try database.execute(
            """
            SELECT id, decision, previous_model_id, policy::text AS policy, evidence::text AS evidence, evaluation_id, run_id
            FROM promotions WHERE model_id = $1 AND tenant_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1
            """,
            [modelId, tenant]
        ).rows.first
    }
}

/// The numbers behind a decision.
struct PromotionEvidence: Codable {
    let evaluationId: String?
    /// The champion the candidate was evaluated against (nil: there was no production model).
    let championId: String?
    /// The production model under the lock when the decision was taken.
    let productionModelId: String?
    /// The evaluation's metrics (flat: auc, logLoss, … or rmse, mae, r2, …), candidate and champion on the same holdout.
    let candidate: [String: Double]?
    let champion: [String: Double]?
    /// Every rule: its metric, threshold, the candidate's and champion's values, pass or fail.
    let checks: [PromotionPolicy.Check]?
}

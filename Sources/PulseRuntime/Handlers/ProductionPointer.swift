import Foundation
import PulseContracts
import PulseCore
import PulseStorage

/// The production pointer of one model name, changed only under a transaction-scoped advisory lock per
/// (tenant, model name): two promoters (or a promotion and a rollback) of one name take turns, and each reads the
/// production model after the previous one committed. Without it both could check the champion, both pass, and the
/// second would fail on the `models_one_production` unique index and loop through the retry tiers.
enum ProductionPointer {
    /// Waits for the lock; it is released when the transaction ends. Call inside the host's transaction.
    static func lock(tenant: String, name: String, on database: PostgresConnection) throws {
        try database.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ["pulse.production/\(tenant)/\(name)"])
    }

    /// The production model's id, read under the lock (READ COMMITTED: the statement sees every commit before it).
    static func current(tenant: String, name: String, on database: PostgresConnection) throws -> String? {
        try database.execute(
            "SELECT id FROM models WHERE tenant_id = $1 AND name = $2 AND stage = 'production'", [tenant, name]
        ).rows.first?["id"]
    }

    /// The model's stage, with its row locked for the rest of the transaction.
    static func stage(of modelId: String, tenant: String, on database: PostgresConnection) throws -> String? {
        try database.execute("SELECT stage FROM models WHERE id = $1 AND tenant_id = $2 FOR UPDATE", [modelId, tenant]).rows.first?["stage"]
    }

    /// `from` leaves production (as `archived`, or `rolled-back`), `to` takes its place.
    static func move(tenant: String, name: String, to modelId: String, retiring: String, on database: PostgresConnection) throws {
        try database.execute(
            "UPDATE models SET stage = $3, stage_changed_at = now() WHERE tenant_id = $1 AND name = $2 AND stage = 'production'",
            [tenant, name, retiring]
        )
        try database.execute("UPDATE models SET stage = 'production', stage_changed_at = now() WHERE id = $1", [modelId])
    }
}

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

/// The numeric members of a flat metrics object (`count` and `positives` included; rules name the others).
enum MetricValues {
    static func decode(_ text: String?) throws -> [String: Double] {
        guard let text else { throw StageError("a metrics column expected to hold an object is NULL") }
        guard case .object(let members) = try JSONValue.parse(Data(text.utf8)) else {
            throw StageError("a metrics column does not hold a JSON object")
        }
        return members.compactMapValues(\.doubleValue)
    }
}

import Foundation
import PulseContracts
import PulseStorage

/// What a retraining run needs to carry on at each stage without a central orchestrator.
struct RetrainingConfig: Codable {
    let datasetName: String
    /// The champion's extractions; the new increment is appended to them.
    let baseExtractionIds: [String]
    /// The champion's training request (dataset id and version are replaced by the new snapshot's).
    let training: StartTraining
    let policy: PromotionPolicyPayload
}

struct RetrainingRunRecord {
    let id: String
    let modelName: String
    let championId: String
    let status: String
    let config: RetrainingConfig

    static func load(_ id: String, tenant: String, on database: PostgresConnection) throws -> RetrainingRunRecord {
        let result = try database.execute(
            "SELECT id, model_name, champion_id, status, config::text AS config FROM retraining_runs WHERE id = $1 AND tenant_id = $2",
            [id, tenant]
        )
        guard let row = result.rows.first else { throw StageError("retraining run \(id) does not exist") }
        return RetrainingRunRecord(
            id: id, modelName: try row.string("model_name"), championId: try row.string("champion_id"),
            status: try row.string("status"), config: try JSONColumn.decode(RetrainingConfig.self, row["config"])
        )
    }
}

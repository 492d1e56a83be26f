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

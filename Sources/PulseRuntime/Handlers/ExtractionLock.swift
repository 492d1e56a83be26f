import PulseContracts
import PulseCore
import PulseStorage

/// Keeps two deliveries of one extraction from running at once (a redelivery after a consumer timeout while the
/// first worker still runs, say): a PostgreSQL advisory lock keyed by the extraction id.
///
/// The lock is taken at session level on the worker's own connection, because the extraction runs outside any
/// transaction. It must last until the host's transaction has recorded the result, which commits on that same
/// connection after `handle` returns: the outcome's commit hands it over to that transaction (`handOver(to:)`),
/// so it ends with the commit or the rollback. Every path that throws out of `handle` releases it.
struct ExtractionLock {
    /// First half of the lock key ("Extr"); the second is `hashtext(extraction id)`. The two-key form does not
    /// overlap the one-key locks other code takes (the snapshotter's per-dataset lock).
    static let namespace: Int32 = 0x4578_7472

    let extractionId: String

    private var keyParameters: [String?] { [String(Self.namespace), extractionId] }

    /// Takes the lock, or throws a retryable `StageError` when another delivery holds it: the message then waits in
    /// a retry tier instead of running twice.
    func acquire(on database: PostgresConnection) throws {
        let result = try database.execute("SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked", keyParameters)
        guard result.rows.first?["locked"] == "t" else {
            throw StageError("extraction \(extractionId) is running in another delivery; trying again later", disposition: .retry)
        }
    }

    /// Inside the host's transaction: holds the lock until that transaction ends, and drops the session-level hold.
    func handOver(to transaction: PostgresConnection) throws {
        try transaction.execute("SELECT pg_advisory_xact_lock($1::int, hashtext($2))", keyParameters)
        try transaction.execute("SELECT pg_advisory_unlock($1::int, hashtext($2))", keyParameters)
    }

    /// Releases the session-level hold (after a failure inside `handle`). A lost connection has released it already.
    func release(on database: PostgresConnection) {
        _ = try? database.execute("SELECT pg_advisory_unlock($1::int, hashtext($2))", keyParameters)
    }

    /// Inside a transaction: true when no delivery holds the lock (this transaction then holds it until it ends).
    func isFree(in transaction: PostgresConnection) throws -> Bool {
        try transaction.execute("SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS locked", keyParameters).rows.first?["locked"] == "t"
    }

    /// Releases extraction locks this connection still holds at session level. Between two messages there should be
    /// none; one is left only when the host's transaction failed before the outcome's commit could hand it over.
    static func releaseLeftovers(on database: PostgresConnection) throws {
        // pg_locks shows the second key as an oid (unsigned); turn it back into the int4 that hashtext gave.
        try database.execute(
            """
            SELECT pg_advisory_unlock($1::int, (objid::bigint - CASE WHEN objid::bigint > 2147483647 THEN 4294967296 ELSE 0 END)::int)
            FROM pg_locks
            WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 2 AND classid = $1::int::oid
              AND mode = 'ExclusiveLock'
            """,
            [String(namespace)]
        )
    }
}

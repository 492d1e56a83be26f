import Foundation
import PulseContracts
import PulseStorage

/// The `idempotency_keys` table: what a tenant's key stands for and, once a worker answered, the reply.
///
/// The gateway claims a key before it publishes (`claim`), marks it published after the broker's confirm
/// (`markPublished`) or gives the claim back when the publish failed (`releaseClaim`). Workers check keys of
/// messages that did not come through the gateway (`admit`) and complete every key in the transaction that
/// commits the effect (`complete`). The message id, not the key, is what the inbox deduplicates, so a claim
/// taken over after a crashed gateway republishes the same message id.
struct IdempotencyKeys: Sendable {
    /// How long a key is kept after its last change (at least 24 hours).
    let retentionHours: Int
    /// How long a gateway's claim may stay unconfirmed before a retry of the same request takes it over.
    static let claimLeaseSeconds = 30

    enum Claim: Equatable {
        /// This request owns the key: publish under `messageId` (the stored one when a stale claim was taken over).
        case claimed(messageId: String)
        /// The request was answered before: here is the stored reply.
        case completed(Reply, messageId: String)
        /// The same request is still pending or being handled.
        case inFlight(messageId: String)
        /// The key was used for a different request.
        case mismatch(storedHash: String)
    }

    func claim(tenant: String, key: String, operation: String, requestHash: String, messageId: String, on database: PostgresConnection) throws -> Claim {
        // Two attempts: a row that expires or is taken over between our insert and our read is seen the second time.
        for _ in 0..<2 {
            let inserted = try database.execute(
                """
                INSERT INTO idempotency_keys (tenant_id, key, operation, request_hash, message_id, status, claimed_until, expires_at)
                VALUES ($1, $2, $3, $4, $5, 'pending', now() + make_interval(secs => $6::int), now() + make_interval(hours => $7::int))
                ON CONFLICT (tenant_id, key) DO UPDATE SET operation = EXCLUDED.operation, request_hash = EXCLUDED.request_hash,
                  message_id = EXCLUDED.message_id, status = 'pending', reply = NULL, claimed_until = EXCLUDED.claimed_until,
                  created_at = now(), completed_at = NULL, expires_at = EXCLUDED.expires_at
                WHERE idempotency_keys.expires_at < now()
                RETURNING message_id
                """,
                [tenant, key, operation, requestHash, messageId, String(Self.claimLeaseSeconds), String(retentionHours)]
            )
            if inserted.rows.count == 1 { return .claimed(messageId: messageId) }

            guard let row = try stored(tenant: tenant, key: key, on: database) else { continue }
            if row.requestHash != requestHash { return .mismatch(storedHash: row.requestHash) }
            if let reply = row.reply { return .completed(reply, messageId: row.messageId) }
            // A pending claim whose lease ran out: its gateway died or failed before the broker confirmed. Take it
            // over under the same message id (the inbox does the work once if the first publish did get through).
            let takenOver = try database.execute(
                """
                UPDATE idempotency_keys SET claimed_until = now() + make_interval(secs => $4::int)
                WHERE tenant_id = $1 AND key = $2 AND message_id = $3 AND status = 'pending' AND claimed_until <= now()
                RETURNING message_id
                """,
                [tenant, key, row.messageId, String(Self.claimLeaseSeconds)]
            )
            if takenOver.rows.count == 1 { return .claimed(messageId: row.messageId) }
            return .inFlight(messageId: row.messageId)
        }
        return .inFlight(messageId: messageId)
    }

    /// The broker confirmed the command: the key is in flight until a worker completes it.
    func markPublished(tenant: String, key: String, messageId: String, on database: PostgresConnection) throws {
        try database.execute(
            "UPDATE idempotency_keys SET status = 'in_flight', claimed_until = NULL WHERE tenant_id = $1 AND key = $2 AND message_id = $3 AND status = 'pending'",
            [tenant, key, messageId]
        )
    }

    /// The publish failed: end the lease at once so a retry of the same request republishes the same message id.
    /// (The claim is not deleted: the broker may have taken the message even though its confirm was lost.)
    func releaseClaim(tenant: String, key: String, messageId: String, on database: PostgresConnection) throws {
        try database.execute(
            "UPDATE idempotency_keys SET claimed_until = now() WHERE tenant_id = $1 AND key = $2 AND message_id = $3 AND status = 'pending'",
            [tenant, key, messageId]
        )
    }

    enum Admission: Equatable {
        case proceed
        case replay(Reply)
        case reject(Problem)
    }

    /// A worker's check before it handles a keyed message. The message that owns the key (the gateway's, or an
    /// earlier delivery of this one) proceeds — the inbox has already answered true duplicates. Another message
    /// with the same key gets the stored reply, 409 while the owner is in flight, or 422 for a different request.
    func admit(_ envelope: Envelope, key: String, requestHash: String, on database: PostgresConnection) throws -> Admission {
        guard let row = try stored(tenant: envelope.tenantId, key: key, on: database), !row.expired else { return .proceed }
        if row.requestHash != requestHash {
            return .reject(Problem.idempotencyKeyReused(key, storedHash: row.requestHash, requestHash: requestHash))
        }
        if row.messageId == envelope.messageId { return .proceed }
        if let reply = row.reply { return .replay(reply) }
        return .reject(Problem.idempotencyKeyInFlight(key, messageId: row.messageId))
    }

    /// Records the reply under the key, inside the transaction that commits the effect. Returns false when another
    /// message owns the key (it committed first); the caller rolls back.
    func complete(_ envelope: Envelope, key: String, requestHash: String, reply: Reply, on database: PostgresConnection) throws -> Bool {
        let result = try database.execute(
            """
            INSERT INTO idempotency_keys (tenant_id, key, operation, request_hash, message_id, status, reply, completed_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, 'completed', $6::jsonb, now(), now() + make_interval(hours => $7::int))
            ON CONFLICT (tenant_id, key) DO UPDATE SET operation = EXCLUDED.operation, request_hash = EXCLUDED.request_hash,
              message_id = EXCLUDED.message_id, status = 'completed', reply = EXCLUDED.reply, claimed_until = NULL,
              completed_at = now(), expires_at = EXCLUDED.expires_at
            WHERE idempotency_keys.message_id = EXCLUDED.message_id OR idempotency_keys.expires_at < now()
            """,
            [envelope.tenantId, key, envelope.name, requestHash, envelope.messageId,
             String(decoding: try JSONCodec.encode(reply), as: UTF8.self), String(retentionHours)]
        )
        return result.affectedRows == 1
    }

    /// Deletes keys past their retention; returns how many went.
    @discardableResult
    func purgeExpired(on database: PostgresConnection) throws -> Int {
        try database.execute("DELETE FROM idempotency_keys WHERE expires_at < now()").affectedRows
    }

    private struct StoredKey {
        let requestHash: String
        let messageId: String
        let reply: Reply?
        let expired: Bool
    }

    private func stored(tenant: String, key: String, on database: PostgresConnection) throws -> StoredKey? {
        let result = try database.execute(
            """
            SELECT request_hash, message_id, reply::text AS reply, expires_at < now() AS expired
            FROM idempotency_keys WHERE tenant_id = $1 AND key = $2
            """,
            [tenant, key]
        )
        guard let row = result.rows.first else { return nil }
        return StoredKey(
            requestHash: try row.string("request_hash"), messageId: try row.string("message_id"),
            reply: try row["reply"].map { try JSONCodec.decode(Reply.self, from: Data($0.utf8)) }, expired: try row.bool("expired")
        )
    }
}

import Foundation
import PulseContracts
import PulseStorage

/// The inbox: which messages a consumer has handled, and the reply it gave. Written in the same transaction as
/// the effect, so a message seen again is answered from here and does nothing new.
struct Inbox {
    let consumer: String

    func storedReply(for envelope: Envelope, on database: PostgresConnection) throws -> Reply? {
        let result = try database.execute(
            "SELECT reply::text AS reply FROM inbox WHERE consumer = $1 AND message_id = $2",
            [consumer, envelope.messageId]
        )
        guard let text = result.rows.first?["reply"] else { return nil }
        return try JSONCodec.decode(Reply.self, from: Data(text.utf8))
    }

    /// Returns false when another delivery of the same message committed first.
    func record(_ envelope: Envelope, reply: Reply, on database: PostgresConnection) throws -> Bool {
        let result = try database.execute(
            """
            INSERT INTO inbox (consumer, message_id, tenant_id, operation, status, reply)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT DO NOTHING
            """,
            [consumer, envelope.messageId, envelope.tenantId, envelope.name, String(reply.status),
             String(decoding: try JSONCodec.encode(reply), as: UTF8.self)]
        )
        return result.affectedRows == 1
    }

    /// The reply a settling outcome decided inside the transaction (after `record` claimed the message).
    func replaceReply(for envelope: Envelope, with reply: Reply, on database: PostgresConnection) throws {
        try database.execute(
            "UPDATE inbox SET status = $3, reply = $4::jsonb WHERE consumer = $1 AND message_id = $2",
            [consumer, envelope.messageId, String(reply.status), String(decoding: try JSONCodec.encode(reply), as: UTF8.self)]
        )
    }
}

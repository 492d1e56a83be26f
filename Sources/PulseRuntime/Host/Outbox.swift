import Foundation
import PulseContracts
import PulseMessaging
import PulseStorage

/// The transactional outbox: events are written in the same transaction as the state change that caused them,
/// and published (with confirms) only after that transaction commits.
struct Outbox {
    let eventExchange: String

    /// Wraps events in envelopes derived from the message that caused them (stable message ids, so a redelivered
    /// cause produces the same events and the unique index on `outbox.message_id` stops a second copy).
    func envelopes(for events: [OutgoingEvent], causedBy cause: Envelope) -> [Envelope] {
        events.enumerated().map { index, event in
            Envelope(
                kind: .event, name: event.name, version: OperationNaming.version(of: event.name) ?? 1,
                messageId: EntityID.derived(.message, tenant: cause.tenantId, messageId: cause.messageId, timestamp: cause.timestamp, purpose: "\(event.name)#\(index)"),
                timestamp: Date(), tenantId: cause.tenantId, payload: event.payload,
                metadata: Envelope.Metadata(
                    correlationId: cause.metadata.correlationId ?? cause.messageId, causationId: cause.messageId,
                    traceparent: cause.metadata.traceparent
                )
            )
        }
    }

    /// Queues envelopes for publishing on `exchange` (the event exchange unless a scheduler sends commands).
    func insert(_ envelopes: [Envelope], exchange: String? = nil, on database: PostgresConnection) throws {
        for envelope in envelopes {
            try database.execute(
                """
                INSERT INTO outbox (message_id, tenant_id, exchange, routing_key, envelope)
                VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (message_id) DO NOTHING
                """,
                [envelope.messageId, envelope.tenantId, exchange ?? eventExchange, envelope.name, String(decoding: envelope.encoded(), as: UTF8.self)]
            )
        }
    }

    /// Publishes rows not yet confirmed, oldest first, and marks each one once the broker confirms it.
    /// `olderThanSeconds` lets a sweep leave fresh rows to the worker that is about to publish them.
    @discardableResult
    func publishPending(database: PostgresConnection, publisher: Publisher, olderThanSeconds: Int = 0, limit: Int = 100) throws -> Int {
        try database.withTransaction { database in
            let pending = try database.execute(
                """
                SELECT message_id, exchange, routing_key, envelope::text AS envelope FROM outbox
                WHERE published_at IS NULL AND created_at <= now() - make_interval(secs => $1::int)
                ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
                """,
                [String(olderThanSeconds), String(limit)]
            )
            for row in pending.rows {
                let body = Data(try row.string("envelope").utf8)
                let envelope = try? JSONCodec.decode(Envelope.self, from: body)
                try publisher.publish(
                    exchange: try row.string("exchange"), routingKey: try row.string("routing_key"), body: body,
                    properties: MessageProperties.forEnvelope(envelope, messageId: try row.string("message_id")),
                    // An event no stage subscribes to is fine (unlike a command nobody handles).
                    mandatory: false
                )
                try database.execute("UPDATE outbox SET published_at = now() WHERE message_id = $1", [try row.string("message_id")])
            }
            return pending.rows.count
        }
    }
}

extension MessageProperties {
    /// Broker properties for an envelope: message id, type = operation name, tenant and trace ids in headers.
    static func forEnvelope(_ envelope: Envelope?, messageId: String, replyTo: String? = nil) -> MessageProperties {
        var headers: [String: HeaderValue] = [:]
        if let envelope {
            headers["pulse-tenant"] = .string(envelope.tenantId)
            if let traceparent = envelope.metadata.traceparent { headers["traceparent"] = .string(traceparent) }
        }
        return MessageProperties(
            messageId: messageId, correlationId: envelope?.metadata.correlationId, replyTo: replyTo, type: envelope?.name,
            contentType: "application/json", timestamp: Date(), persistent: true, headers: headers
        )
    }
}

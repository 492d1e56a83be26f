import Foundation
import PulseContracts
import PulseMessaging
import PulseStorage

/// The connections one consuming thread owns: a consumer, a publisher (separate AMQP connection, as rabbitmq-c
/// connections are not shared), and a PostgreSQL connection.
final class Session {
    let stage: Topology.Stage
    let consumer: Consumer
    let publisher: Publisher
    let database: PostgresConnection
    let objects: any ObjectStore
    let sealer: SecretSealer
    let outbox: Outbox
    let commandExchange: String
    let inbox: Inbox
    let keys: IdempotencyKeys
    let handlingLock: HandlingLock
    private let consumerConnection: AMQPConnection
    private let publisherConnection: AMQPConnection

    init(configuration: RuntimeConfiguration, topology: Topology, stage: Topology.Stage, objects: any ObjectStore, sealer: SecretSealer) throws {
        self.stage = stage
        self.objects = objects
        self.sealer = sealer
        database = try PostgresConnection.connect(url: configuration.databaseURL, applicationName: "pulse-\(stage.name)")
        _ = try Migrator().apply(try Migrations.bundled(), on: database)
        consumerConnection = try AMQPConnection.open(try AMQPConfiguration(url: configuration.amqpURL, connectionName: "pulse-\(stage.name)-consumer"))
        try topology.declare(on: consumerConnection)
        publisherConnection = try AMQPConnection.open(try AMQPConfiguration(url: configuration.amqpURL, connectionName: "pulse-\(stage.name)-publisher"))
        publisher = try Publisher(connection: publisherConnection)
        consumer = try Consumer(connection: consumerConnection, queue: stage.queue, prefetch: configuration.prefetch)
        outbox = Outbox(eventExchange: topology.eventExchange)
        commandExchange = topology.commandExchange
        inbox = Inbox(consumer: stage.name)
        handlingLock = HandlingLock(consumer: stage.name)
        keys = IdempotencyKeys(retentionHours: configuration.idempotencyKeyHours)
    }

    func close() {
        consumer.close()
        publisher.close()
        consumerConnection.close()
        publisherConnection.close()
        database.close()
    }

    /// Answers a request that carried `reply_to`; a requester that went away is not an error.
    func reply(_ reply: Reply, to delivery: Delivery) throws {
        guard let replyTo = delivery.properties.replyTo else { return }
        let body = try JSONCodec.encode(reply)
        var properties = MessageProperties(messageId: EntityID.random(.message), correlationId: delivery.properties.correlationId, type: "pulse.reply")
        properties.persistent = false
        do {
            try publisher.publish(exchange: "", routingKey: replyTo, body: body, properties: properties, mandatory: false)
        } catch let error as MessagingError where error.code == .unroutable {
            return
        }
    }

    /// Sends the message to a retry tier (a TTL queue that dead-letters back to this stage's queue).
    func retry(_ delivery: Delivery, through tier: Topology.RetryTier, attempt: Int, reason: String) throws {
        var properties = delivery.properties
        properties.headers["pulse-attempt"] = .int(Int64(attempt))
        properties.headers["pulse-last-error"] = .string(String(reason.prefix(1_000)))
        let now = Timestamp.format(Date())
        if properties.headers["pulse-first-failed-at"] == nil { properties.headers["pulse-first-failed-at"] = .string(now) }
        properties.headers["pulse-last-failed-at"] = .string(now)
        try publisher.publish(exchange: "", routingKey: tier.queue, body: delivery.body, properties: properties)
    }

    /// Sends the message through a retry tier unchanged: not a failure, just not now.
    func postpone(_ delivery: Delivery, through tier: Topology.RetryTier) throws {
        try publisher.publish(exchange: "", routingKey: tier.queue, body: delivery.body, properties: delivery.properties)
    }

    /// Parks the message in this stage's dead-letter queue with why, how often, and when first and last.
    func park(_ delivery: Delivery, reason: String, attempts: Int) throws {
        var properties = delivery.properties
        let now = Timestamp.format(Date())
        properties.headers["pulse-error"] = .string(String(reason.prefix(2_000)))
        properties.headers["pulse-attempts"] = .int(Int64(attempts))
        properties.headers["pulse-stage"] = .string(stage.name)
        if properties.headers["pulse-first-failed-at"] == nil { properties.headers["pulse-first-failed-at"] = .string(now) }
        properties.headers["pulse-last-failed-at"] = .string(now)
        try publisher.publish(exchange: "", routingKey: stage.deadLetterQueue, body: delivery.body, properties: properties)
    }
}

import Foundation
import PulseContracts
import PulseMessaging

/// Operator access to a stage's dead-letter queue: list, show, replay (keeping message ids so idempotency still
/// holds) and purge. Messages are read with basic.get and only acknowledged once they were moved.
public struct DeadLetters {
    public struct Entry: Codable, Sendable {
        public let messageId: String?
        public let operation: String?
        public let error: String?
        public let attempts: Int?
        public let firstFailedAt: String?
        public let lastFailedAt: String?
        public let bytes: Int
    }

    let connection: AMQPConnection
    let stage: Topology.Stage

    public init(configuration: RuntimeConfiguration, stageName: String) throws {
        let topology = try RuntimeTopology.load(configuration)
        stage = try topology.stage(named: stageName)
        connection = try AMQPConnection.open(try AMQPConfiguration(url: configuration.amqpURL, connectionName: "pulse-cli"))
        try topology.declare(on: connection)
    }

    /// Reads every parked message and puts it back (requeue), so nothing moves.
    public func list() throws -> [Entry] {
        var entries: [Entry] = []
        var tags: [UInt64] = []
        let count = try connection.messageCount(queue: stage.deadLetterQueue)
        for _ in 0..<count {
            guard let delivery = try connection.get(queue: stage.deadLetterQueue) else { break }
            tags.append(delivery.deliveryTag)
            entries.append(Self.entry(delivery))
        }
        for tag in tags { try connection.reject(tag, requeue: true) }
        return entries
    }

    /// Moves matching messages back to the stage queue with their attempt counter reset; returns how many moved.
    public func replay(matching filter: (Entry) -> Bool) throws -> Int {
        let publisherConnection = try AMQPConnection.open(connection.configuration)
        defer { publisherConnection.close() }
        let publisher = try Publisher(connection: publisherConnection)
        var moved = 0
        var skipped: [UInt64] = []
        let count = try connection.messageCount(queue: stage.deadLetterQueue)
        for _ in 0..<count {
            guard let delivery = try connection.get(queue: stage.deadLetterQueue) else { break }
            guard filter(Self.entry(delivery)) else {
                skipped.append(delivery.deliveryTag)
                continue
            }
            var properties = delivery.properties
            properties.headers["pulse-attempt"] = .int(0)
            properties.headers["pulse-replayed-at"] = .string(Timestamp.format(Date()))
            try publisher.publish(exchange: "", routingKey: stage.queue, body: delivery.body, properties: properties)
            try connection.ack(delivery.deliveryTag)
            moved += 1
        }
        for tag in skipped { try connection.reject(tag, requeue: true) }
        return moved
    }

    public func purge() throws -> Int { try connection.purge(queue: stage.deadLetterQueue) }

    public func close() { connection.close() }

    static func entry(_ delivery: Delivery) -> Entry {
        let headers = delivery.properties.headers
        return Entry(
            messageId: delivery.properties.messageId, operation: delivery.properties.type, error: headers["pulse-error"]?.stringValue,
            attempts: headers["pulse-attempts"]?.intValue.map(Int.init), firstFailedAt: headers["pulse-first-failed-at"]?.stringValue,
            lastFailedAt: headers["pulse-last-failed-at"]?.stringValue, bytes: delivery.body.count
        )
    }
}

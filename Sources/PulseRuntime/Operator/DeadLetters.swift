import Foundation
import PulseContracts
import PulseMessaging

/// Operator access to a stage's dead-letter queue: list, show, replay (keeping message ids so idempotency still
/// holds) and purge. Messages are read with basic.get and only acknowledged once they were moved.
public struct DeadLetters {
    /// One parked message, as `pulse dlq list` and `GET /admin/dlq/{stage}` show it.
    public struct Entry: Codable, Sendable, Equatable {
        public let messageId: String?
        public let operation: String?
        public let tenant: String?
        /// `worker`: it failed for good, or ran out of retry tiers, and its worker parked it with the reason.
        /// `broker`: the stage queue's `x-delivery-limit` parked it — its worker died or stopped while handling it
        /// every time, so no worker could record why.
        public let parkedBy: String
        public let error: String?
        public let attempts: Int?
        /// For a message the broker parked: when it was published (its first attempt began then).
        public let firstFailedAt: String?
        public let lastFailedAt: String?
        public let replays: Int
        public let bytes: Int
    }

    /// Which parked messages to act on. Every set condition must hold; an empty filter matches all.
    public struct Filter: Sendable {
        public var messageIds: Set<String>?
        public var operation: String?
        public var tenant: String?
        public var errorContains: String?

        public init(messageIds: Set<String>? = nil, operation: String? = nil, tenant: String? = nil, errorContains: String? = nil) {
            self.messageIds = messageIds
            self.operation = operation
            self.tenant = tenant
            self.errorContains = errorContains
        }

        /// True when any condition is set (a replay without one must say `--all`).
        public var isRestricted: Bool { messageIds != nil || operation != nil || tenant != nil || errorContains != nil }

        public func matches(_ entry: Entry) -> Bool {
            if let messageIds, !messageIds.contains(entry.messageId ?? "") { return false }
            if let operation, entry.operation != operation { return false }
            if let tenant, entry.tenant != tenant { return false }
            if let errorContains, !(entry.error ?? "").localizedCaseInsensitiveContains(errorContains) { return false }
            return true
        }
    }

    let connection: AMQPConnection
    let stage: Topology.Stage
    /// The stage queue's `x-delivery-limit` (a broker-parked message was delivered this many times plus one).
    let deliveryLimit: Int?

    public init(configuration: RuntimeConfiguration, stageName: String) throws {
        let topology = try RuntimeTopology.load(configuration)
        let stage = try topology.stage(named: stageName)
        self.stage = stage
        if case .int(let limit)? = topology.queues.first(where: { $0.name == stage.queue })?.arguments["x-delivery-limit"] {
            deliveryLimit = Int(limit)
        } else {
            deliveryLimit = nil
        }
        connection = try AMQPConnection.open(try AMQPConfiguration(url: configuration.amqpURL, connectionName: "pulse-operator"))
        try topology.declare(on: connection)
    }

    /// Reads every parked message and puts it back (requeue), so nothing moves.
    public func list(_ filter: Filter = Filter()) throws -> [Entry] {
        try browse { filter.matches(entry($0)) ? entry($0) : nil }
    }

    /// One parked message with its envelope (any `password` member masked), or nil.
    public func show(messageId: String) throws -> (entry: Entry, envelope: JSONValue?)? {
        try browse { delivery -> (Entry, JSONValue?)? in
            guard delivery.properties.messageId == messageId else { return nil }
            return (entry(delivery), (try? JSONValue.parse(delivery.body)).map(Self.maskingPasswords))
        }.first
    }

    /// Moves matching messages back to the stage queue with their attempt counter reset and their message id kept;
    /// returns how many moved.
    public func replay(_ filter: Filter) throws -> Int {
        let publisherConnection = try AMQPConnection.open(connection.configuration)
        defer { publisherConnection.close() }
        let publisher = try Publisher(connection: publisherConnection)
        var moved = 0
        var skipped: [UInt64] = []
        defer { for tag in skipped { try? connection.reject(tag, requeue: true) } }
        let count = try connection.messageCount(queue: stage.deadLetterQueue)
        for _ in 0..<count {
            guard let delivery = try connection.get(queue: stage.deadLetterQueue) else { break }
            let entry = entry(delivery)
            guard filter.matches(entry) else {
                skipped.append(delivery.deliveryTag)
                continue
            }
            var properties = delivery.properties
            // The broker's own bookkeeping (x-first-death-*, x-delivery-count) belongs to the last life.
            properties.headers = properties.headers.filter { !$0.key.hasPrefix("x-") }
            // Whoever waited for the first answer is gone; a failure must park the message again, not reply.
            properties.replyTo = nil
            properties.headers["pulse-attempt"] = .int(0)
            properties.headers["pulse-replays"] = .int(Int64(entry.replays + 1))
            properties.headers["pulse-replayed-at"] = .string(Timestamp.format(Date()))
            try publisher.publish(exchange: "", routingKey: stage.queue, body: delivery.body, properties: properties)
            try connection.ack(delivery.deliveryTag)
            moved += 1
        }
        return moved
    }

    /// How many messages are parked (ready; a concurrent listing holds some back for a moment).
    public func count() throws -> Int { try connection.messageCount(queue: stage.deadLetterQueue) }

    public func purge() throws -> Int { try connection.purge(queue: stage.deadLetterQueue) }

    public func close() { connection.close() }

    /// Gets every parked message once, keeps what `pick` returns, and requeues them all.
    private func browse<T>(_ pick: (Delivery) throws -> T?) throws -> [T] {
        var picked: [T] = []
        var tags: [UInt64] = []
        defer { for tag in tags { try? connection.reject(tag, requeue: true) } }
        let count = try connection.messageCount(queue: stage.deadLetterQueue)
        for _ in 0..<count {
            guard let delivery = try connection.get(queue: stage.deadLetterQueue) else { break }
            tags.append(delivery.deliveryTag)
            if let value = try pick(delivery) { picked.append(value) }
        }
        return picked
    }

    func entry(_ delivery: Delivery) -> Entry {
        let headers = delivery.properties.headers
        let replays = Int(headers["pulse-replays"]?.intValue ?? 0)
        if headers["pulse-error"] == nil, let death = delivery.deadLetterings.first(where: { $0.reason == "delivery_limit" }) {
            let deliveries = deliveryLimit.map { $0 + 1 }
            return Entry(
                messageId: delivery.properties.messageId, operation: delivery.properties.type, tenant: headers["pulse-tenant"]?.stringValue,
                parkedBy: "broker",
                error: "delivery limit reached: \(death.queue) delivered it \(deliveries.map(String.init) ?? "too many") times and no worker "
                    + "acknowledged it (the worker died or was stopped while handling it each time)",
                attempts: deliveries, firstFailedAt: delivery.properties.timestamp.map(Timestamp.format),
                lastFailedAt: death.time.map(Timestamp.format), replays: replays, bytes: delivery.body.count
            )
        }
        return Entry(
            messageId: delivery.properties.messageId, operation: delivery.properties.type, tenant: headers["pulse-tenant"]?.stringValue,
            parkedBy: "worker", error: headers["pulse-error"]?.stringValue, attempts: headers["pulse-attempts"]?.intValue.map(Int.init),
            firstFailedAt: headers["pulse-first-failed-at"]?.stringValue, lastFailedAt: headers["pulse-last-failed-at"]?.stringValue,
            replays: replays, bytes: delivery.body.count
        )
    }

    /// A producer may have sent a datasource password in clear straight to the broker: never print it.
    static func maskingPasswords(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            .object(members.reduce(into: [:]) { result, member in
                result[member.key] = member.key.lowercased() == "password" ? .string("***") : maskingPasswords(member.value)
            })
        case .array(let items): .array(items.map(maskingPasswords))
        default: value
        }
    }
}

import Foundation

/// A message received from a queue (by a `Consumer` or `AMQPConnection.get`), copied out of C memory.
public struct Delivery: Sendable {
    public var body: Data
    public var properties: MessageProperties
    /// Valid only on the channel (connection) that received the message.
    public var deliveryTag: UInt64
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    /// How many times a quorum queue has delivered this message before (its `x-delivery-count` header; 0 when absent).
    public var deliveryCount: Int
    /// Where and why the broker dead-lettered this message before (its `x-death` header), most recent first.
    public var deadLetterings: [DeadLettering]
    /// How many times this message has been dead-lettered (sum of the `x-death` counts; 0 when absent).
    public var deathCount: Int { deadLetterings.reduce(0) { $0 + $1.count } }

    public init(body: Data, properties: MessageProperties, deliveryTag: UInt64, redelivered: Bool = false,
                exchange: String = "", routingKey: String = "", deliveryCount: Int = 0, deadLetterings: [DeadLettering] = []) {
        self.body = body
        self.properties = properties
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routingKey = routingKey
        self.deliveryCount = deliveryCount
        self.deadLetterings = deadLetterings
    }
}

/// One entry of a message's `x-death` header: the broker moved it out of `queue` for `reason`
/// (`rejected`, `expired` — a retry tier's TTL —, `maxlen`, or `delivery_limit`), `count` times, last at `time`.
public struct DeadLettering: Sendable, Equatable {
    public var reason: String
    public var queue: String
    public var count: Int
    public var time: Date?

    public init(reason: String, queue: String, count: Int, time: Date?) {
        self.reason = reason
        self.queue = queue
        self.count = count
        self.time = time
    }
}

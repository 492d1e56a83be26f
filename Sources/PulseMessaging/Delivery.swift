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
    /// How many times this message has been dead-lettered (sum of the `x-death` counts; 0 when absent).
    public var deathCount: Int

    public init(body: Data, properties: MessageProperties, deliveryTag: UInt64, redelivered: Bool = false,
                exchange: String = "", routingKey: String = "", deliveryCount: Int = 0, deathCount: Int = 0) {
        self.body = body
        self.properties = properties
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routingKey = routingKey
        self.deliveryCount = deliveryCount
        self.deathCount = deathCount
    }
}

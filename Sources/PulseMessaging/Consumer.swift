import Foundation
internal import CRabbitMQ

/// Consumes one queue on a connection it owns (`basic.qos` + `basic.consume`).
///
/// Used by one thread at a time (rabbitmq-c's rule). Heartbeats are answered only while a thread is inside
/// `next(timeout:)`, so a handler that runs longer than twice the heartbeat interval needs a larger
/// `heartbeatSeconds` (or 0). When the connection or channel breaks, `next` throws; make a new consumer on a new
/// connection (the broker requeues every unacknowledged delivery).
public final class Consumer: @unchecked Sendable {
    private let connection: AMQPConnection
    /// The queue being consumed.
    public let queue: String
    /// The broker-assigned consumer tag.
    public let consumerTag: String
    private var failed: MessagingError?

    /// Takes ownership of `connection`, sets the prefetch window and starts consuming `queue`.
    public init(connection: AMQPConnection, queue: String, prefetch: UInt16, noAck: Bool = false) throws {
        self.connection = connection
        self.queue = queue
        try connection.qos(prefetch: prefetch)
        self.consumerTag = try connection.consume(queue: queue, noAck: noAck)
    }

    /// Closes the owned connection; unacknowledged deliveries go back to the queue.
    public func close() {
        connection.close()
    }

    /// False once the connection is closed or broken.
    public var isOpen: Bool { failed == nil && connection.isOpen }

    /// Waits up to `timeout` seconds for the next delivery; nil on timeout.
    /// - Throws: `MessagingError` `.channelClosed` (consumer cancelled, queue deleted, channel error) or
    ///   `.connectionFailed` (socket error, missed heartbeats, broker shutdown). Every later call throws the same.
    public func next(timeout: Double) throws -> Delivery? {
        if let failed { throw failed }
        do {
            return try receive(timeout: timeout)
        } catch let error as MessagingError {
            failed = error
            throw error
        }
    }

    private func receive(timeout: Double) throws -> Delivery? {
        let deadline = Date().addingTimeInterval(max(0, timeout))
        while true {
            let state = try connection.handle()
            amqp_maybe_release_buffers(state)
            var envelope = amqp_envelope_t()
            var tv = AMQPConnection.timeval(seconds: max(0, deadline.timeIntervalSinceNow))
            let reply = amqp_consume_message(state, &envelope, &tv, 0)
            if reply.reply_type == AMQP_RESPONSE_NORMAL {
                defer { amqp_destroy_envelope(&envelope) }
                let (properties, deliveryCount, deadLetterings) = AMQPDecoding.properties(envelope.message.properties)
                return Delivery(body: AMQPDecoding.data(envelope.message.body), properties: properties,
                                deliveryTag: envelope.delivery_tag, redelivered: envelope.redelivered != 0,
                                exchange: AMQPDecoding.string(envelope.exchange),
                                routingKey: AMQPDecoding.string(envelope.routing_key),
                                deliveryCount: deliveryCount, deadLetterings: deadLetterings)
            }
            if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION, reply.library_error == AMQP_STATUS_TIMEOUT.rawValue {
                return nil
            }
            if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION, reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue {
                // A frame other than basic.deliver is waiting: read it and react.
                guard let frame = try connection.waitFrame(timeout: max(0, deadline.timeIntervalSinceNow)) else { return nil }
                try connection.handleBrokerClose(frame)
                if frame.frame_type == UInt8(AMQP_FRAME_METHOD) {
                    switch frame.payload.method.id {
                    case AMQP_BASIC_CANCEL_METHOD:
                        throw MessagingError(.channelClosed, "the broker cancelled the consumer on queue '\(queue)' (was it deleted?)")
                    case AMQP_BASIC_RETURN_METHOD:
                        try connection.discardMessage(channel: frame.channel)
                    default:
                        break
                    }
                }
                if deadline.timeIntervalSinceNow <= 0 { return nil }
                continue
            }
            try connection.check(reply, "consume from queue '\(queue)'", recoverChannel: false)
            throw MessagingError(.protocolError, "unexpected reply while consuming from queue '\(queue)'")
        }
    }

    /// Acknowledges a delivery from this consumer.
    public func ack(_ delivery: Delivery) throws {
        try connection.ack(delivery.deliveryTag)
    }

    /// Rejects a delivery from this consumer; without requeue it goes to the queue's dead-letter target.
    public func reject(_ delivery: Delivery, requeue: Bool) throws {
        try connection.reject(delivery.deliveryTag, requeue: requeue)
    }
}

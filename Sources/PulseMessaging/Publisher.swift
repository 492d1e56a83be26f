import Foundation
internal import CRabbitMQ

/// Publishes with publisher confirms on a connection it owns, one message at a time.
///
/// Used by one thread at a time (rabbitmq-c's rule). `publish` blocks until the broker confirms.
/// If the connection turns out broken (idle past the heartbeat, broker restart), it reconnects once and
/// publishes again: a message may then arrive twice, which consumers tolerate (they dedupe by message id).
public final class Publisher: @unchecked Sendable {
    private let connection: AMQPConnection
    /// Sequence number of the last publish on the current channel (confirm delivery tags count from 1).
    private var sequence: UInt64 = 0
    /// How many times the publisher has reopened its connection (for metrics).
    public private(set) var reconnects = 0
    /// How long to wait for a confirm before giving up with `.nacked`.
    public var confirmTimeoutSeconds: Double = 30

    /// Takes ownership of `connection` and puts its channel in confirm mode.
    public init(connection: AMQPConnection) throws {
        self.connection = connection
        try connection.enableConfirms()
    }

    /// Closes the owned connection.
    public func close() {
        connection.close()
    }

    /// Publishes `body` and blocks until the broker confirms it.
    /// - Throws: `MessagingError` `.unroutable` when a mandatory message matched no queue, `.nacked` when the broker
    ///   refused it (e.g. a full quorum queue with `reject-publish`), `.connectionFailed` / `.channelClosed` otherwise.
    public func publish(exchange: String, routingKey: String, body: Data, properties: MessageProperties,
                        mandatory: Bool = true) throws {
        do {
            try drainPending()
            try publishOnce(exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory)
        } catch let error as MessagingError where error.code == .connectionFailed {
            try reconnect()
            try publishOnce(exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory)
        }
    }

    private func reconnect() throws {
        try connection.reopen()
        sequence = 0
        reconnects += 1
    }

    /// Processes frames that arrived while idle (late confirms, heartbeats, a broker close) without blocking.
    private func drainPending() throws {
        if !connection.isOpen { try reconnect() }
        while let frame = try connection.waitFrame(timeout: 0) {
            defer { connection.release() }
            do {
                try connection.handleBrokerClose(frame)
            } catch let error as MessagingError where error.code == .channelClosed {
                sequence = 0   // the channel was reopened in confirm mode: numbering restarts
            }
            if frame.frame_type == UInt8(AMQP_FRAME_METHOD), frame.payload.method.id == AMQP_BASIC_RETURN_METHOD {
                try connection.discardMessage(channel: frame.channel)
            }
        }
    }

    private func publishOnce(exchange: String, routingKey: String, body: Data, properties: MessageProperties,
                             mandatory: Bool) throws {
        try connection.basicPublish(exchange: exchange, routingKey: routingKey, body: body, properties: properties,
                                    mandatory: mandatory)
        sequence += 1
        let tag = sequence
        var returned: String?
        let deadline = Date().addingTimeInterval(confirmTimeoutSeconds)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, let frame = try connection.waitFrame(timeout: remaining) else {
                throw MessagingError(.nacked, "the broker did not confirm a publish to '\(exchange)' within \(confirmTimeoutSeconds)s")
            }
            defer { connection.release() }
            do {
                try connection.handleBrokerClose(frame)
            } catch let error as MessagingError where error.code == .channelClosed {
                sequence = 0
                throw error
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD), let decoded = frame.payload.method.decoded else { continue }
            switch frame.payload.method.id {
            case AMQP_BASIC_RETURN_METHOD:
                let info = decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
                returned = "\(info.reply_code) \(AMQPDecoding.string(info.reply_text))"
                try connection.discardMessage(channel: frame.channel)
            case AMQP_BASIC_ACK_METHOD:
                let ack = decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                guard ack.delivery_tag == tag || (ack.multiple != 0 && ack.delivery_tag >= tag) else { continue }
                if let returned {
                    throw MessagingError(.unroutable, "no queue is bound to exchange '\(exchange)' for routing key '\(routingKey)'",
                                         underlying: returned)
                }
                return
            case AMQP_BASIC_NACK_METHOD:
                let nack = decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
                guard nack.delivery_tag == tag || (nack.multiple != 0 && nack.delivery_tag >= tag) else { continue }
                throw MessagingError(.nacked, "the broker refused a publish to exchange '\(exchange)' with routing key '\(routingKey)'")
            default:
                continue
            }
        }
    }
}

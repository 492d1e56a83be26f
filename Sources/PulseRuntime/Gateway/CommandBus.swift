import Dispatch
import Foundation
import PulseContracts
import PulseMessaging
import Synchronization

/// Publishes mutation envelopes to the commands exchange and collects the workers' replies.
///
/// rabbitmq-c connections are not thread-safe, so the bus keeps two: a publishing connection used under a
/// `Mutex` by whichever HTTP thread publishes, and a reply connection owned by one dedicated reply thread
/// that consumes the gateway's server-named reply queue (no-ack) and hands each `Reply` to the waiting
/// request by correlation id.
final class CommandBus: Sendable {
    private struct Publishing {
        let connection: AMQPConnection
        let publisher: Publisher
    }

    private let amqp: AMQPConfiguration
    private let commandExchange: String
    private let logger: Logger
    private let publishing: Mutex<Publishing>
    private let replyQueue = Mutex("")
    private let waiters = ReplyWaiters()
    private let stopping = Atomic(false)
    private let replyHealthy = Atomic(false)
    /// Wakes the reply thread from its reconnect back-off when the bus closes.
    private let wake = DispatchSemaphore(value: 0)
    private let replyThreadFinished = DispatchSemaphore(value: 0)

    /// Connects, declares `topology` (idempotent), opens the reply queue and starts the reply thread.
    init(amqp: AMQPConfiguration, topology: Topology, logger: Logger) throws {
        self.amqp = amqp
        self.commandExchange = topology.commandExchange
        self.logger = logger
        var publishingConfiguration = amqp
        publishingConfiguration.connectionName = "pulse-gateway-publisher"
        let connection = try AMQPConnection.open(publishingConfiguration)
        do {
            try topology.declare(on: connection)
            publishing = Mutex(Publishing(connection: connection, publisher: try Publisher(connection: connection)))
        } catch {
            connection.close()
            throw error
        }
        let consumer: Consumer
        do {
            consumer = try openReplyConsumer()
        } catch {
            connection.close()
            throw error
        }
        let thread = Thread { [self] in runReplies(consumer) }
        thread.name = "pulse-gateway-replies"
        thread.start()
    }

    /// The reply queue requests name in `reply_to` (changes when the reply connection is re-established).
    var currentReplyQueue: String { replyQueue.withLock { $0 } }

    /// True while the publishing connection is open and the reply thread is consuming.
    var isReady: Bool {
        replyHealthy.load(ordering: .acquiring) && publishing.withLock { $0.connection.isOpen }
    }

    /// Publishes `envelope` (AMQP `correlation_id` = its message id) and calls `published` once the broker has
    /// confirmed it; with a `timeout`, then blocks until its reply arrives (nil when none came in time, or the bus
    /// is closing).
    /// - Throws: `MessagingError` when the broker refuses or cannot be reached (`.unroutable`: no stage queue
    ///   is bound for the operation), or what `published` throws.
    func send(_ envelope: Envelope, timeout: Double?, published: () throws -> Void = {}) throws -> Reply? {
        guard let timeout else {
            try publish(envelope)
            try published()
            return nil
        }
        let waiter = waiters.register(envelope.messageId)
        do {
            try publish(envelope)
            try published()
        } catch {
            waiters.cancel(waiter)
            throw error
        }
        return waiters.wait(waiter, timeout: timeout)
    }

    /// Stops taking new publishes, releases every waiting request (they answer 202: the work goes on),
    /// stops the reply thread and closes both connections.
    func close() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        waiters.releaseAll()
        wake.signal()
        _ = replyThreadFinished.wait(timeout: .now() + 10)
        publishing.withLock { $0.publisher.close() }
    }

    private func publish(_ envelope: Envelope) throws {
        guard !stopping.load(ordering: .acquiring) else { throw GatewayError(.stopped, "the gateway is stopping") }
        var headers: [String: HeaderValue] = ["pulse-tenant": .string(envelope.tenantId)]
        if let traceparent = envelope.metadata.traceparent { headers["traceparent"] = .string(traceparent) }
        let properties = MessageProperties(
            messageId: envelope.messageId, correlationId: envelope.messageId,
            replyTo: currentReplyQueue, type: envelope.name, timestamp: Date(), persistent: true, headers: headers
        )
        let body = envelope.encoded()
        try publishing.withLock { state in
            try state.publisher.publish(exchange: commandExchange, routingKey: envelope.name, body: body,
                                        properties: properties, mandatory: true)
        }
    }

    // MARK: - Reply thread

    private func openReplyConsumer() throws -> Consumer {
        var configuration = amqp
        configuration.connectionName = "pulse-gateway-replies"
        let connection = try AMQPConnection.open(configuration)
        do {
            let queue = try connection.declareReplyQueue()
            let consumer = try Consumer(connection: connection, queue: queue, prefetch: 256, noAck: true)
            replyQueue.withLock { $0 = queue }
            replyHealthy.store(true, ordering: .releasing)
            return consumer
        } catch {
            connection.close()
            throw error
        }
    }

    /// The reply thread's loop: the consumer is used by this thread only. On a broken connection it reconnects
    /// with a new reply queue (requests in flight on the old one answer 202 after their timeout).
    private func runReplies(_ initial: Consumer) {
        var consumer: Consumer? = initial
        while !stopping.load(ordering: .acquiring) {
            guard let current = consumer else {
                do {
                    consumer = try openReplyConsumer()
                    logger.info("reply queue re-established")
                } catch {
                    logger.warning("reply connection failed; retrying", ["error": "\(error)"])
                    _ = wake.wait(timeout: .now() + 1)
                }
                continue
            }
            do {
                guard let delivery = try current.next(timeout: 0.25) else { continue }
                handle(delivery)
            } catch {
                replyHealthy.store(false, ordering: .releasing)
                logger.warning("reply consumer failed; reconnecting", ["error": "\(error)"])
                current.close()
                consumer = nil
            }
        }
        consumer?.close()
        replyHealthy.store(false, ordering: .releasing)
        replyThreadFinished.signal()
    }

    private func handle(_ delivery: Delivery) {
        guard let correlationId = delivery.properties.correlationId else {
            logger.debug("reply without correlation id ignored")
            return
        }
        guard let reply = try? JSONCodec.decode(Reply.self, from: delivery.body) else {
            logger.warning("undecodable reply ignored", ["pulse.correlation_id": correlationId])
            return
        }
        if !waiters.deliver(reply, correlationId: correlationId) {
            logger.debug("late reply ignored", ["pulse.correlation_id": correlationId])
        }
    }
}

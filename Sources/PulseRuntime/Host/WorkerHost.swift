import Dispatch
import Foundation
import PulseContracts
import PulseCore
import PulseHTTP
import PulseMessaging
import PulseStorage
import Synchronization

/// Runs one stage: declare topology → consume with prefetch → for each delivery decode → inbox check →
/// handle → one transaction (effect + outbox + inbox) → commit → publish events → reply → ack.
/// A failure's disposition picks a retry tier, the dead-letter queue, or a stop. Plain threads end to end:
/// the consuming thread owns its AMQP and PostgreSQL connections.
public final class WorkerHost: Sendable {
    public let configuration: RuntimeConfiguration
    public let handler: any StageHandler
    private let stopRequested = Atomic<Bool>(false)
    /// Consuming threads whose session is connected; the host is ready when all of them are.
    private let connectedSessions = Atomic<Int>(0)
    private let metrics = MetricsRegistry(version: PulseVersion.current)
    private let logger: Logger

    public init(configuration: RuntimeConfiguration, handler: any StageHandler) {
        self.configuration = configuration
        self.handler = handler
        logger = Logger(label: "pulse-\(handler.stage.rawValue)", metadata: ["pulse.stage": handler.stage.rawValue])
    }

    /// Asks `run()` to finish the messages in hand and return.
    public func requestStop() { stopRequested.store(true, ordering: .relaxed) }

    public var isReady: Bool { connectedSessions.load(ordering: .relaxed) == configuration.consumers }

    /// Blocks until `requestStop()`. Runs `configuration.consumers` consuming threads (this one and more), each
    /// with its own broker and database connections; outages are retried with backoff. A fatal error on any
    /// thread stops them all and is rethrown.
    public func run() throws {
        let topology = try RuntimeTopology.load(configuration)
        let stage = try topology.stage(named: handler.stage.rawValue)
        let objects = try FileObjectStore(root: configuration.objectStoreRoot)
        let sealer = try SecretSealer.loadKeyFile(configuration.masterKeyFile, keyId: configuration.masterKeyId)
        let health = try startHealthServer()
        defer { health?.stop() }
        logger.info("worker starting", [
            "pulse.queue": stage.queue, "pulse.http_port": String(health?.port ?? 0), "pulse.consumers": String(configuration.consumers),
        ])

        let fatal = Mutex<(any Error)?>(nil)
        let others = DispatchGroup()
        for index in 1..<max(configuration.consumers, 1) {
            others.enter()
            let thread = Thread { [self] in
                defer { others.leave() }
                do {
                    try consumeUntilStopped(topology: topology, stage: stage, objects: objects, sealer: sealer)
                } catch {
                    fatal.withLock { $0 = $0 ?? error }
                    requestStop()
                }
            }
            thread.name = "pulse-\(stage.name)-consumer-\(index)"
            thread.start()
        }
        do {
            try consumeUntilStopped(topology: topology, stage: stage, objects: objects, sealer: sealer)
        } catch {
            fatal.withLock { $0 = $0 ?? error }
            requestStop()
        }
        others.wait()
        if let error = fatal.withLock({ $0 }) { throw error }
        logger.info("worker stopped")
    }

    /// One consuming thread: a session, reconnected with backoff after outages, until `requestStop()`.
    private func consumeUntilStopped(topology: Topology, stage: Topology.Stage, objects: FileObjectStore, sealer: SecretSealer) throws {
        var backoff = 0.5
        while !stopRequested.load(ordering: .relaxed) {
            var connected = false
            do {
                let session = try Session(configuration: configuration, topology: topology, stage: stage, objects: objects, sealer: sealer)
                defer { session.close() }
                connectedSessions.add(1, ordering: .relaxed)
                connected = true
                defer { connectedSessions.subtract(1, ordering: .relaxed) }
                backoff = 0.5
                try consume(session)
            } catch {
                if Dispositions.of(error) == .fatal { throw error }
                logger.warning("connection lost; reconnecting", ["error": "\(error)", "pulse.backoff_seconds": String(backoff), "pulse.was_connected": String(connected)])
                Thread.sleep(forTimeInterval: backoff)
                // At most 5 s between attempts (RabbitMQ's Java client and Spring AMQP recover every 5 s): with 15 s,
                // workers sat idle up to 15 s after a restarted broker was back (the fault suite measured 14 s).
                backoff = min(backoff * 2, 5)
            }
        }
    }

    private func consume(_ session: Session) throws {
        var lastSweep = Date()
        var lastKeyPurge = Date.distantPast
        var lastSchedulerPass = Date.distantPast
        let periodic = configuration.schedulerSeconds > 0 ? handler as? any PeriodicWork : nil
        while !stopRequested.load(ordering: .relaxed) {
            if let delivery = try session.consumer.next(timeout: 1.0) {
                let started = Date()
                let outcome = try process(delivery, session: session)
                metrics.counter("pulse_stage_messages_total", help: "Messages handled, by outcome.", labels: ["stage": handler.stage.rawValue, "outcome": outcome])
                    .increment()
                metrics.histogram("pulse_stage_handle_seconds", help: "Time to handle one message.", labels: ["stage": handler.stage.rawValue])
                    .observe(Date().timeIntervalSince(started))
            }
            if let periodic, Date().timeIntervalSince(lastSchedulerPass) >= configuration.schedulerSeconds {
                let queued = try periodic.runDue(on: session.database, outbox: session.outbox, commandExchange: session.commandExchange)
                if queued > 0 {
                    logger.info("scheduled work queued", ["pulse.messages": String(queued)])
                    try session.outbox.publishPending(database: session.database, publisher: session.publisher)
                }
                lastSchedulerPass = Date()
            }
            if Date().timeIntervalSince(lastSweep) > 5 {
                // Publishes events whose worker crashed between commit and publish.
                try session.outbox.publishPending(database: session.database, publisher: session.publisher, olderThanSeconds: 5)
                lastSweep = Date()
            }
            if Date().timeIntervalSince(lastKeyPurge) > 600 {
                let purged = try session.keys.purgeExpired(on: session.database)
                if purged > 0 { logger.info("expired idempotency keys deleted", ["pulse.keys": String(purged)]) }
                lastKeyPurge = Date()
            }
        }
    }

    /// Handles one delivery; returns the outcome label for metrics. Throws only for broker/database outages,
    /// in which case the message stays unacknowledged and comes back.
    private func process(_ delivery: Delivery, session: Session) throws -> String {
        let envelope: Envelope
        do {
            envelope = try Envelope.decode(delivery.body)
            // Name and kind here; the handler's `payload(as:)` decodes and validates the payload (once).
            _ = try OperationCatalog.resolve(envelope)
            guard handler.accepts.contains(envelope.name) else {
                throw Problem.invalidField(pointer: "/name", detail: "the \(handler.stage.rawValue) stage does not handle \(envelope.name)")
            }
        } catch {
            try reject(delivery, problem: error, session: session, envelope: nil)
            return "rejected"
        }
        let attempt = Int(delivery.properties.headers["pulse-attempt"]?.intValue ?? 0)
        let log = logger.with([
            "pulse.message_id": envelope.messageId, "pulse.operation": envelope.name, "pulse.tenant": envelope.tenantId,
            "pulse.correlation_id": envelope.metadata.correlationId ?? envelope.messageId, "pulse.attempt": String(attempt),
        ])

        // The lock first, then the inbox: a delivery commits before it lets the lock go, so a copy that gets the lock
        // either finds the reply in the inbox or is the only one working on the message.
        guard try session.handlingLock.tryAcquire(envelope.messageId, on: session.database) else {
            return try deferBusy(delivery, attempt: attempt, session: session, log: log)
        }
        defer { try? session.handlingLock.release(envelope.messageId, on: session.database) }

        if let stored = try session.inbox.storedReply(for: envelope, on: session.database) {
            log.info("duplicate message; answering from the inbox")
            try session.reply(stored, to: delivery)
            try session.consumer.ack(delivery)
            return "duplicate"
        }
        let key = envelope.idempotencyKey.map { KeyedRequest(key: $0, requestHash: IdempotentRequest.hash(of: envelope)) }
        if let key {
            switch try session.keys.admit(envelope, key: key.key, requestHash: key.requestHash, on: session.database) {
            case .proceed:
                break
            case .replay(let reply):
                log.info("idempotency key answered before under another message id; replaying its reply")
                try session.reply(reply, to: delivery)
                try session.consumer.ack(delivery)
                return "duplicate"
            case .reject(let problem):
                // Not this message's key to complete: no `envelope`.
                try reject(delivery, problem: problem, session: session, envelope: nil)
                return "rejected"
            }
        }

        let context = StageContext(database: session.database, objects: session.objects, sealer: session.sealer, attempt: attempt, logger: log)
        let outcome: StageOutcome
        do {
            outcome = try handler.handle(envelope, context: context)
        } catch let problem as Problem {
            log.info("request rejected", ["pulse.problem": problem.description])
            try reject(delivery, problem: problem, session: session, envelope: envelope)
            return "rejected"
        } catch {
            return try fail(delivery, envelope: envelope, error: error, attempt: attempt, session: session, context: context)
        }

        let proposed = (reply: outcome.reply, events: session.outbox.envelopes(for: outcome.events, causedBy: envelope))
        var reply = proposed.reply
        var events = proposed.events
        let firstTime: Bool
        do {
            (firstTime, reply, events) = try session.database.withTransaction { database in
                guard try session.inbox.record(envelope, reply: outcome.reply, on: database) else { return (false, proposed.reply, proposed.events) }
                try outcome.commit(database)
                var settled = proposed
                if let settle = outcome.settle {
                    let settlement = try settle(database)
                    settled = (settlement.reply, session.outbox.envelopes(for: settlement.events, causedBy: envelope))
                    try session.inbox.replaceReply(for: envelope, with: settlement.reply, on: database)
                }
                if let key, try !session.keys.complete(envelope, key: key.key, requestHash: key.requestHash, reply: settled.reply, on: database) {
                    throw Problem.conflict("another message with Idempotency-Key '\(key.key)' committed first")
                }
                try session.outbox.insert(settled.events, on: database)
                return (true, settled.reply, settled.events)
            }
        } catch let problem as Problem {
            try reject(delivery, problem: problem, session: session, envelope: envelope)
            return "rejected"
        } catch let error as StorageError where error.code == .connectionFailed {
            throw error
        } catch {
            return try fail(delivery, envelope: envelope, error: error, attempt: attempt, session: session, context: context)
        }
        if !firstTime, let stored = try session.inbox.storedReply(for: envelope, on: session.database) {
            reply = stored  // another delivery committed first: its answer, not this run's
        }
        if firstTime {
            try session.outbox.publishPending(database: session.database, publisher: session.publisher)
            log.info("message handled", ["pulse.events": String(events.count)])
        }
        try session.reply(reply, to: delivery)
        try session.consumer.ack(delivery)
        return "handled"
    }

    /// Another worker holds this message (the broker redelivered it while that worker is still on it): it is not
    /// done twice. The copy waits in the first retry tier, attempt count unchanged, and is then answered from the
    /// inbox once the other worker has committed.
    private func deferBusy(_ delivery: Delivery, attempt: Int, session: Session, log: Logger) throws -> String {
        log.info("another worker is handling this message; checking back later")
        if let tier = session.stage.retryQueues.first {
            try session.postpone(delivery, through: tier)
            try session.consumer.ack(delivery)
        } else {
            try session.consumer.reject(delivery, requeue: true)
        }
        return "deferred"
    }

    /// Bad input: answer the requester with the problem; a message nobody waits for goes to the DLQ with the reason.
    private func reject(_ delivery: Delivery, problem error: any Error, session: Session, envelope: Envelope?) throws {
        let problem = error as? Problem ?? Problem.internalError("\(error)")
        if let envelope, let key = envelope.idempotencyKey {
            // The key's answer is this problem: a retry of the same request gets it again instead of 409 forever.
            _ = try session.keys.complete(envelope, key: key, requestHash: IdempotentRequest.hash(of: envelope), reply: Reply(problem: problem), on: session.database)
        }
        if delivery.properties.replyTo != nil {
            try session.reply(Reply(problem: problem), to: delivery)
        } else {
            try session.park(delivery, reason: problem.description, attempts: 1)
        }
        try session.consumer.ack(delivery)
        logger.warning("message rejected", ["pulse.message_id": delivery.properties.messageId ?? "", "pulse.problem": problem.description])
    }

    private func fail(_ delivery: Delivery, envelope: Envelope, error: any Error, attempt: Int, session: Session, context: StageContext) throws -> String {
        let reason = "\(error)"
        if Dispositions.of(error) == .retry, let tier = session.stage.retryTier(afterAttempt: attempt + 1) {
            context.logger.warning("attempt failed; retrying later", ["error": reason, "pulse.retry_queue": tier.queue])
            try session.retry(delivery, through: tier, attempt: attempt + 1, reason: reason)
            try session.consumer.ack(delivery)
            return "retried"
        }
        let failureReply = Reply(problem: Problem.internalError("the \(handler.stage.rawValue) stage failed: \(reason)"))
        let failureEvents = try session.database.withTransaction { database in
            if let key = envelope.idempotencyKey {
                // A replay from the dead-letter queue (same message id) overwrites this answer when it succeeds.
                _ = try session.keys.complete(envelope, key: key, requestHash: IdempotentRequest.hash(of: envelope), reply: failureReply, on: database)
            }
            let events = try handler.recordFailure(envelope, reason: reason, context: context)
            let envelopes = session.outbox.envelopes(for: events, causedBy: envelope)
            try session.outbox.insert(envelopes, on: database)
            return envelopes
        }
        if !failureEvents.isEmpty { try session.outbox.publishPending(database: session.database, publisher: session.publisher) }
        try session.park(delivery, reason: reason, attempts: attempt + 1)
        if delivery.properties.replyTo != nil { try session.reply(failureReply, to: delivery) }
        try session.consumer.ack(delivery)
        context.logger.error("message parked in the dead-letter queue", ["error": reason, "pulse.dlq": session.stage.deadLetterQueue])
        return "parked"
    }

    private func startHealthServer() throws -> HTTPServer? {
        guard configuration.httpPort != 0 else { return nil }
        let router = Router()
        addHealthRoutes(to: router, metrics: metrics) { [weak self] in self?.isReady ?? false }
        let server = HTTPServer(configuration: .init(host: configuration.httpHost, port: configuration.httpPort), router: router)
        try server.start()
        return server
    }
}

/// An idempotency key and the hash of the request it stands for.
private struct KeyedRequest {
    let key: String
    let requestHash: String
}

public enum PulseVersion {
    public static let current = "0.1.0"
}

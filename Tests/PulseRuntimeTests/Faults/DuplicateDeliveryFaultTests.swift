import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import XCTest

/// "Deliver the same message twice, and out of order", straight to RabbitMQ as any AMQP producer may: every
/// prediction request is published twice back to back (the scorer runs two consuming threads, so both copies can
/// be in hand at once), two of them once more after everything else (a late duplicate), feedback arrives in
/// shuffled order and twice, and five feedback messages arrive before the predictions they refer to exist.
/// Those five are parked with the reason (bad input is never retried in a loop) and completed by a replay once
/// the predictions exist. In the end every row equals an in-order, once-only run of the same messages.
final class DuplicateDeliveryFaultTests: FaultTestCase {
    static let batches = 20
    static let rows = 25
    static let early = 5

    func testDuplicateAndOutOfOrderDeliveriesChangeNothing() throws {
        let baseline = try FaultBaseline.shared()
        let messages = try Messages(baseline: baseline)

        // The reference: each message once, in order (predictions, then their feedback).
        let reference = try makeStack("dupref")
        reference.startInProcessWorkers([ScorerHandler(), DriftMonitorHandler()])
        let referenceProducer = try DirectProducer(stack: reference)
        defer { referenceProducer.close() }
        for envelope in messages.predictions { try referenceProducer.publish(envelope) }
        try referenceProducer.waitUntilHandled(messages.predictions, by: .scorer)
        for envelope in messages.feedback { try referenceProducer.publish(envelope) }
        try referenceProducer.waitUntilHandled(messages.feedback, by: .driftMonitor)

        let stack = try makeStack("duplicates")
        try stack.startWorker(.scorer, consumers: 2)
        try stack.startWorker(.driftMonitor)
        let producer = try DirectProducer(stack: stack)
        defer { producer.close() }
        var generator = SystemRandomNumberGenerator()

        // 1. Feedback before its predictions: refused with the reason and parked (no requester is waiting).
        let early = Array(messages.feedback.prefix(Self.early))
        for envelope in early { try producer.publish(envelope) }
        let stage = try stack.stage(.driftMonitor)
        let parkedEarly = try waitFor("the early feedback to be parked", seconds: 60) { () -> [String]? in
            let parked = try stack.parkedMessageIds(.driftMonitor)
            return parked.count == Self.early ? parked : nil
        }
        XCTAssertEqual(Set(parkedEarly), Set(early.map(\.messageId)))
        let reasons = try DeadLetters(configuration: stack.configuration, stageName: stage.name)
        let entries = try reasons.list()
        reasons.close()
        for entry in entries {
            XCTAssertTrue(entry.error?.contains("/payload/items/0/predictionId") == true, "\(entry.error ?? "no reason")")
            XCTAssertEqual(entry.attempts, 1, "bad input is not retried")
        }

        // 2. Every prediction twice, back to back, in shuffled order.
        for envelope in messages.predictions.shuffled(using: &generator) {
            try producer.publish(envelope)
            try producer.publish(envelope)
        }
        try producer.waitUntilHandled(messages.predictions, by: .scorer)

        // 3. The rest of the feedback, shuffled, twice each (the second copy later, after others), then two
        //    prediction requests again, long after they were answered.
        let rest = Array(messages.feedback.dropFirst(Self.early))
        for envelope in rest.shuffled(using: &generator) + rest.shuffled(using: &generator) { try producer.publish(envelope) }
        for envelope in messages.predictions.prefix(2) { try producer.publish(envelope) }
        try producer.waitUntilHandled(rest, by: .driftMonitor)
        try stack.waitUntilDrained(parked: [.driftMonitor: Self.early])

        // 4. The operator replays the parked feedback now that the predictions exist.
        let replayedAt = Date()
        XCTAssertEqual(try stack.replayParked(.driftMonitor), Self.early)
        try producer.waitUntilHandled(early, by: .driftMonitor)
        let completedAfterReplay = Date()
        try stack.waitUntilDrained()

        var submissions = messages.predictions.enumerated().map { index, envelope in
            Submission.confirmed(.prediction, key: "dup-p\(index)", messageId: envelope.messageId, stage: .scorer, expectedRows: Self.rows)
        }
        submissions += messages.feedback.enumerated().map { index, envelope in
            Submission.confirmed(
                .feedback, key: "dup-f\(index)", messageId: envelope.messageId, stage: .driftMonitor, expectedRows: Self.rows,
                reference: messages.predictions[index].messageId
            )
        }
        let figures = try FaultAudit.audit(submissions, on: stack, reference: reference)
        XCTAssertEqual(figures.accepted, 2 * Self.batches)
        XCTAssertEqual(figures.completed, 2 * Self.batches, "\(figures.problems)")
        XCTAssertEqual(figures.duplicated, 0, "\(figures.problems)")
        XCTAssertEqual(figures.lost, 0, "\(figures.problems)")
        XCTAssertEqual(figures.problems, [])
        try stack.withDatabase { database in
            XCTAssertEqual(try database.execute("SELECT count(*) AS n FROM predictions").rows[0].int("n"), Self.batches * Self.rows)
            XCTAssertEqual(try database.execute("SELECT count(*) AS n FROM feedback").rows[0].int("n"), Self.batches * Self.rows)
        }
        // Each message's work was committed once: the workers log "message handled" only for a first commit.
        XCTAssertEqual(stack.logCount("message handled"), 2 * Self.batches)
        let duplicates = Self.batches + rest.count + 2
        let fromInbox = stack.logCount("duplicate message; answering from the inbox")
        FaultReport.record(
            "duplicates-reordered", figures,
            faults: "\(duplicates) duplicate deliveries (\(fromInbox) answered from the inbox, \(duplicates - fromInbox) handled alongside "
                + "their twin and dropped at commit by the inbox's key), shuffled order, \(Self.early) feedback messages before "
                + "their predictions (parked with the reason, then replayed)",
            recovery: "replay → parked feedback completed \(FaultReport.seconds(completedAfterReplay.timeIntervalSince(replayedAt)))"
        )
    }
}

/// The messages of the scenario, built once so both runs publish the very same bytes.
private struct Messages {
    let predictions: [Envelope]
    let feedback: [Envelope]

    init(baseline: FaultBaseline) throws {
        let tenant = FaultBaseline.tenant
        var predictions: [Envelope] = []
        var feedback: [Envelope] = []
        for batch in 0..<DuplicateDeliveryFaultTests.batches {
            let rows = Array(baseline.scoringRows.dropFirst(batch * DuplicateDeliveryFaultTests.rows).prefix(DuplicateDeliveryFaultTests.rows))
            let payload = try JSONValue.parse(Data((#"{"modelName":"\#(FaultBaseline.modelName)","rows":["# + rows.map(\.json).joined(separator: ",") + "]}").utf8))
            let prediction = Envelope(
                kind: .mutation, name: Operations.runPrediction.rawValue, version: 1,
                messageId: "msg_dup_p\(batch)_\(tenant)", timestamp: Date(), tenantId: tenant, payload: payload
            )
            // The scorer derives prediction ids from tenant, message id and timestamp: a producer can name them first.
            let ids = EntityID.derivedSeries(.prediction, tenant: tenant, messageId: prediction.messageId, timestamp: prediction.timestamp, count: rows.count)
            let items: [JSONValue] = zip(ids, rows).map { id, row in .object(["predictionId": .string(id), "outcome": .number(row.late ? 1 : 0)]) }
            feedback.append(Envelope(
                kind: .mutation, name: Operations.recordFeedback.rawValue, version: 1,
                messageId: "msg_dup_f\(batch)_\(tenant)", timestamp: Date(), tenantId: tenant,
                payload: .object(["items": .array(items)])
            ))
            predictions.append(prediction)
        }
        self.predictions = predictions
        self.feedback = feedback
    }
}

/// A producer on its own AMQP link: publishes envelopes to a stack's command exchange with confirms (a confirmed
/// message is an accepted operation), no reply_to.
private final class DirectProducer {
    private let connection: AMQPConnection
    private let publisher: Publisher
    private let exchange: String
    private let databaseURL: String

    init(stack: FaultStack) throws {
        connection = try FaultBroker.open()
        publisher = try Publisher(connection: connection)
        exchange = stack.topology.commandExchange
        databaseURL = stack.databaseURL
    }

    func publish(_ envelope: Envelope) throws {
        let properties = MessageProperties(
            messageId: envelope.messageId, type: envelope.name, contentType: "application/json", timestamp: Date(), persistent: true,
            headers: ["pulse-tenant": .string(envelope.tenantId)]
        )
        try publisher.publish(exchange: exchange, routingKey: envelope.name, body: envelope.encoded(), properties: properties)
    }

    /// Waits until each message has its inbox row.
    func waitUntilHandled(_ envelopes: [Envelope], by stage: Stage) throws {
        let connection = try PostgresConnection.connect(url: databaseURL)
        defer { connection.close() }
        let ids = envelopes.map(\.messageId)
        _ = try waitFor("\(ids.count) messages handled by the \(stage.rawValue)", seconds: 120, interval: 0.1) { () -> Bool? in
            let handled = try connection.execute(
                "SELECT count(*) AS n FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])", [stage.rawValue, "{" + ids.joined(separator: ",") + "}"]  // message ids are [a-z0-9_]
            ).rows[0].int("n")
            return handled == ids.count ? true : nil
        }
    }

    func close() { publisher.close() }
}

extension Submission {
    /// An operation published straight to the broker and confirmed by it.
    static func confirmed(_ kind: Kind, key: String, messageId: String, stage: Stage, expectedRows: Int, reference: String? = nil) -> Submission {
        var submission = Submission(kind: kind, key: key, messageId: messageId, stage: stage, expectedRows: expectedRows, reference: reference)
        submission.accepted = true
        submission.attempts = 1
        return submission
    }
}

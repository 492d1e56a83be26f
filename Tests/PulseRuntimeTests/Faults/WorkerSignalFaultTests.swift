import Foundation
import Glibc
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import XCTest

/// Two worker behaviours, proved on the real `pulse-trainer` executable:
/// - SIGTERM while a message is in hand: the worker finishes it (commit + ack), exits 0, and the message is not
///   delivered again;
/// - a message that kills its worker every time it is handled is parked in the stage's dead-letter queue by the
///   broker's `x-delivery-limit` (5 in Topology/pulse.json) instead of looping forever.
final class WorkerSignalFaultTests: FaultTestCase {
    func testSIGTERMFinishesTheMessageInHandThenExitsZero() throws {
        let stack = try makeStack("sigterm")
        let trainer = try stack.startWorker(.trainer)
        try stack.startWorker(.evaluator)  // takes the training.completed event (and ignores it: no retraining run)
        let client = FaultClient(stack: stack, patienceSeconds: 60)
        defer { client.finish() }
        let broker = try FaultBroker.open()
        defer { broker.close() }

        // A training job long enough (300 rounds, a few seconds here) to be caught in the middle.
        let load = LoadRun(clients: 1, jobs: [Workload.training(client, stack.baseline, prefix: "sigterm", index: 0, rounds: 300)])
        let messageId = client.messageId(forKey: "sigterm-t0")
        try waitFor("the trainer to start training", seconds: 60) { () -> Bool? in
            if let refused = client.submissions.first(where: { !$0.accepted && $0.lastAnswer != nil }) {
                throw FaultSuiteError("the gateway refused the job: \(refused.lastAnswer ?? "")", final: true)
            }
            return trainer.logLines().contains { $0["msg"] == "training" && $0["pulse.message_id"] == messageId } ? true : nil
        }
        let signalled = Date()
        trainer.send(SIGTERM)
        let ended = try trainer.waitForExit(seconds: 60)
        let drained = Date().timeIntervalSince(signalled)
        XCTAssertEqual(ended.bySignal, false, "\(ended)")
        XCTAssertEqual(ended.status, 0, "\(ended)")
        XCTAssertTrue(load.wait(seconds: 60))

        // It finished the message before it stopped: handled, then stopped, in that order, in its own log.
        let messages = trainer.logLines().map { "\($0["msg"] ?? "") \($0["pulse.message_id"] ?? "")" }
        let handled = messages.firstIndex(of: "message handled \(messageId)")
        let stopped = messages.firstIndex(of: "worker stopped ")
        XCTAssertNotNil(handled, messages.joined(separator: "\n"))
        XCTAssertNotNil(stopped, messages.joined(separator: "\n"))
        if let handled, let stopped { XCTAssertLessThan(handled, stopped) }

        // Committed once, and acknowledged: with its consumer gone, an unacknowledged delivery would be back in the
        // queue (ready) by now; a passive declare counts the queue's ready messages at this instant.
        let stage = try stack.stage(.trainer)
        XCTAssertEqual(try broker.messageCount(queue: stage.queue), 0)
        try stack.waitUntilDrained()
        let figures = try FaultAudit.audit(client.submissions, on: stack, reference: nil)
        XCTAssertEqual(figures.accepted, 1)
        XCTAssertEqual(figures.completed, 1, "\(figures.problems)")
        XCTAssertEqual(figures.duplicated, 0, "\(figures.problems)")
        XCTAssertEqual(figures.lost, 0, "\(figures.problems)")
        XCTAssertEqual(try stack.withDatabase {
            try $0.execute("SELECT count(*) AS n FROM training_jobs WHERE model_name = 'sigterm_pool'").rows[0].int("n")
        }, 1)

        // A new incarnation finds nothing to do: no delivery of that message reaches it.
        try trainer.startReady()
        try stack.waitUntilDrained()
        XCTAssertFalse(trainer.logLines().contains { $0["pulse.message_id"] == messageId }, trainer.logTail())
        FaultReport.record(
            "sigterm-drain", figures, faults: "SIGTERM to pulse-trainer in the middle of a training job",
            recovery: "SIGTERM → job committed, acked, exit 0 in \(FaultReport.seconds(drained))"
        )
    }

    func testAMessageThatKillsItsWorkerEveryTimeIsParkedByTheDeliveryLimit() throws {
        let stack = try makeStack("poison")
        let trainer = try stack.startWorker(.trainer)
        let client = FaultClient(stack: stack, patienceSeconds: 60)
        defer { client.finish() }
        let broker = try FaultBroker.open()
        defer { broker.close() }
        let stage = try stack.stage(.trainer)

        // The longest training the API allows: it never ends on its own within this test.
        let body = try FaultJSON.text([
            "datasetId": stack.baseline.datasetId, "datasetVersion": stack.baseline.datasetVersion, "modelName": "poison",
            "label": "is_late", "parameters": ["rounds": 5_000, "maxDepth": 8],
        ])
        XCTAssertTrue(client.submitAsync(.training, stage: .trainer, path: "/training-jobs", key: "poison-t0", body: body))
        let messageId = client.messageId(forKey: "poison-t0")

        // Kill the worker each time it is handling the message, until the broker parks the message.
        var handlings = 0
        var lastRestart = 0.0
        while handlings < 20 {
            let state = try waitFor("the trainer to handle the message, or the message to be parked", seconds: 60) { () -> String? in
                if try broker.messageCount(queue: stage.deadLetterQueue) > 0 { return "parked" }
                return trainer.logLines().contains { $0["msg"] == "training" && $0["pulse.message_id"] == messageId } ? "handling" : nil
            }
            if state == "parked" { break }
            handlings += 1
            try trainer.kill()
            let restarted = Date()
            try trainer.startReady()
            lastRestart = Date().timeIntervalSince(restarted)
        }

        // RabbitMQ's quorum queues dead-letter a message once it has been returned more times than the delivery
        // limit (rabbitmq.com/docs/quorum-queues#poison-message-handling): with x-delivery-limit 5 that is the
        // sixth delivery that dies with its worker.
        let limit = try XCTUnwrap(try Self.deliveryLimit(of: stage.queue))
        XCTAssertEqual(limit, 5)
        XCTAssertEqual(handlings, limit + 1)
        let parked = try XCTUnwrap(try waitFor("the parked message", seconds: 10) { try broker.get(queue: stage.deadLetterQueue) })
        try broker.reject(parked.deliveryTag, requeue: true)
        XCTAssertEqual(parked.properties.messageId, messageId)
        XCTAssertGreaterThanOrEqual(parked.deathCount, 1, "dead-lettered by the broker (x-death)")
        // Parked, not half done: no job, no model, no inbox row; the queue is empty and the worker serves on.
        try stack.waitUntilDrained(parked: [.trainer: 1])
        let figures = try FaultAudit.audit(client.submissions, on: stack, reference: nil)
        XCTAssertEqual(figures.parked, 1, "\(figures.problems)")
        XCTAssertEqual(figures.lost, 0, "\(figures.problems)")
        XCTAssertEqual(figures.duplicated, 0, "\(figures.problems)")
        XCTAssertEqual(try stack.withDatabase {
            try $0.execute("SELECT (SELECT count(*) FROM training_jobs WHERE model_name = 'poison') + (SELECT count(*) FROM models WHERE name = 'poison') AS n")
                .rows[0].int("n")
        }, 0)
        XCTAssertTrue(trainer.isRunning)
        FaultReport.record(
            "poison-message", figures, faults: "SIGKILL of pulse-trainer on each of \(handlings) deliveries of one message",
            recovery: "parked by x-delivery-limit \(limit); worker ready again \(FaultReport.seconds(lastRestart)) after the last kill"
        )
    }

    /// The stage queue's `x-delivery-limit`, as declared from Topology/pulse.json.
    private static func deliveryLimit(of queue: String) throws -> Int? {
        let topology = try Topology.load(from: FaultEnvironment.topologyFile)
        let plain = queue.split(separator: ".", maxSplits: 1).last.map(String.init) ?? queue
        guard case .int(let limit)? = topology.queues.first(where: { $0.name == plain })?.arguments["x-delivery-limit"] else { return nil }
        return Int(limit)
    }
}

import Foundation
import PulseContracts
import PulseRuntime
import PulseStorage
import XCTest

/// "Restart RabbitMQ, and separately PostgreSQL, under load": every stage runs as its own executable, clients keep
/// the pipeline busy through the gateway (in-process, so its command bus must reconnect too), and the service is
/// stopped and started again with ops/services.sh while requests are in flight. Clients that get a 5xx or lose
/// their connection retry with the same Idempotency-Key. Afterwards nothing is lost, nothing is done twice, every
/// row equals the undisturbed run's, and every queue drains.
///
/// The next test suites find the services up again (`services.sh start` waits until they answer) and open their
/// own connections.
final class ServiceRestartFaultTests: FaultTestCase {
    func testRestartingRabbitMQUnderLoad() throws {
        try restartUnderLoad(.rabbitmq, scenario: "broker-restart")
    }

    func testRestartingThePostgreSQLMetadataDatabaseUnderLoad() throws {
        try restartUnderLoad(.metadata, scenario: "database-restart")
    }

    private func restartUnderLoad(_ service: ServiceControl.Service, scenario: String) throws {
        let prefix = scenario.replacingOccurrences(of: "-", with: "_")
        let stack = try makeStack(scenario)
        for stage in [Stage.extractor, .snapshotter, .trainer, .evaluator, .scorer, .driftMonitor] { try stack.startWorker(stage) }
        let client = FaultClient(stack: stack, patienceSeconds: 240)
        defer { client.finish() }
        let baseline = stack.baseline
        let load = LoadRun(clients: 3) { Workload.pipeline(client, baseline, prefix: prefix, index: $0) }
        func answered() -> Int { client.submissions.filter { $0.answeredAt != nil }.count }

        // Under load: some operations done, more in flight, when the service goes away.
        try waitFor("the first operations", seconds: 120) { answered() >= 20 ? true : nil }
        // Whatever happens below, the suites after this one find the service running.
        addTeardownBlock { try? ServiceControl.start(service) }
        let down = Date()
        try ServiceControl.stop(service)
        let stopped = Date()
        if service == .metadata {
            // The gateway claims every Idempotency-Key in the database before it publishes, so keyed requests are
            // answered 503 while it is down and the clients keep retrying: stay down long enough for that to happen.
            Thread.sleep(forTimeInterval: 5)
        }
        try ServiceControl.start(service)
        let back = Date()
        // Recovered: an operation completed end to end once the service was back.
        let recovered = try waitFor("an operation to complete after the restart", seconds: 180, interval: 0.1) { () -> Date? in
            client.submissions.compactMap(\.answeredAt).filter { $0 >= back }.min()
        }
        // The in-process gateway survived: it answers ready, and workers' replies reach it again (its command bus
        // reconnected its publisher and re-declared a reply queue).
        try waitFor("the gateway to be ready again", seconds: 60) { try stack.client.send("GET", "/readyz").status == 200 ? true : nil }
        try waitFor("a reply through the gateway after the restart", seconds: 120) { () -> Bool? in
            client.submissions.contains { $0.repliedThroughGateway && ($0.answeredAt ?? .distantPast) > back } ? true : nil
        }
        let answeredAtRecovery = answered()
        try waitFor("more operations after the recovery", seconds: 120) { answered() >= answeredAtRecovery + 20 ? true : nil }
        load.stop()
        XCTAssertTrue(load.wait(seconds: 300), "the clients did not finish")
        try stack.waitUntilDrained(seconds: 120)
        let drained = Date()

        // The undisturbed run of the same operations.
        let reference = try undisturbedRun("\(scenario)-ref", jobs: load.started, clients: 3, prefix: prefix)

        let figures = try FaultAudit.audit(client.submissions, on: stack, reference: reference)
        XCTAssertEqual(figures.accepted, client.submissions.count)
        XCTAssertEqual(figures.completed, figures.accepted, "\(figures.problems)")
        XCTAssertEqual(figures.duplicated, 0, "\(figures.problems)")
        XCTAssertEqual(figures.lost, 0, "\(figures.problems)")
        XCTAssertEqual(figures.problems, [])
        XCTAssertEqual(try stack.unpublishedEvents(), 0)
        let retried = client.submissions.filter { $0.attempts > 1 }.count
        FaultReport.record(
            scenario, figures,
            faults: "ops/services.sh stop + start \(service.rawValue) under \(client.submissions.count) operations (stopped in "
                + "\(FaultReport.seconds(stopped.timeIntervalSince(down))), back \(FaultReport.seconds(back.timeIntervalSince(down))) after the stop began); "
                + "\(client.submissions.filter { ($0.acceptedAt ?? .distantPast) > stopped && ($0.acceptedAt ?? .distantPast) < back }.count) "
                + "accepted while it was down, \(retried) retried with their key",
            recovery: "service back → first operation completed \(FaultReport.seconds(recovered.timeIntervalSince(back))), "
                + "→ every queue drained \(FaultReport.seconds(drained.timeIntervalSince(back)))"
        )
    }
}

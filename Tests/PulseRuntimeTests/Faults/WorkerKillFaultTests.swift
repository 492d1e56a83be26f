import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import XCTest

/// "kill -9 a random worker in the middle of its work, many times, while a pipeline runs": every stage runs as
/// its own executable while clients score and give feedback (scorer, drift monitor) and, every eighth job,
/// extract → snapshot → train three January days (extractor, snapshotter, trainer, evaluator); a random worker,
/// preferably one with a delivery in hand, is killed and started again twenty times. Nothing may be lost or done
/// twice, and every row must equal the undisturbed run's (the same operations, run afterwards, nothing killed).
final class WorkerKillFaultTests: FaultTestCase {
    static let kills = 20
    /// A message survives at most this many kills of its worker: below the queues' x-delivery-limit (5), so the
    /// broker never parks a message because of this test's kills.
    static let killsPerStage = 4
    static let targets: [Stage] = [.extractor, .snapshotter, .trainer, .scorer, .driftMonitor]

    func testKillingWorkersAtRandomLosesNothingAndDoesNothingTwice() throws {
        // Every stage as a real process; clients keep the pipeline busy until the last kill.
        let stack = try makeStack("kill")
        var workers: [Stage: WorkerProcess] = [:]
        for stage in Self.targets + [.evaluator] { workers[stage] = try stack.startWorker(stage) }
        let client = FaultClient(stack: stack)
        defer { client.finish() }
        let management = try ManagementAPI()
        defer { management.finish() }
        let baseline = stack.baseline
        let load = LoadRun(clients: 4) { Workload.pipeline(client, baseline, prefix: "kill", index: $0) }

        var kills: [(stage: Stage, at: Date)] = []
        var restarts: [Double] = []
        var generator = SystemRandomNumberGenerator()
        while kills.count < Self.kills, !load.isFinished {
            let candidates = Self.targets.filter { stage in kills.filter { $0.stage == stage }.count < Self.killsPerStage }
            // Prefer a worker with a delivery in hand (its queue shows one unacknowledged).
            let busy = candidates.filter { ((try? management.queue(try stack.stage($0).queue))??.unacknowledged ?? 0) > 0 }
            guard let stage = (busy.isEmpty ? candidates : busy).randomElement(using: &generator), let worker = workers[stage] else { break }
            let at = Date()
            try worker.kill()
            kills.append((stage, at))
            try worker.startReady()
            restarts.append(Date().timeIntervalSince(at))
            // Let the restarted worker take some work before the next kill (pacing, not synchronisation).
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...0.5, using: &generator))
        }
        load.stop()
        XCTAssertTrue(load.wait(seconds: 300), "the clients did not finish")
        XCTAssertEqual(kills.count, Self.kills)
        let queues = try stack.waitUntilDrained()
        // The broker's own count of deliveries it made again after their consumer died with them in hand.
        let stageQueues = try Set(Self.targets.map { try stack.stage($0).queue })
        let redelivered = queues.filter { stageQueues.contains($0.name) }.reduce(0) { $0 + $1.redelivered }

        // The undisturbed run: the same operations (same keys), every stage in-process, nothing killed.
        let reference = try undisturbedRun("killref", jobs: load.started, clients: 4, prefix: "kill")

        let figures = try FaultAudit.audit(client.submissions, on: stack, reference: reference)
        XCTAssertEqual(figures.accepted, client.submissions.count)
        XCTAssertEqual(figures.completed, figures.accepted, "\(figures.problems)")
        XCTAssertEqual(figures.duplicated, 0, "\(figures.problems)")
        XCTAssertEqual(figures.lost, 0, "\(figures.problems)")
        XCTAssertEqual(figures.problems, [])
        XCTAssertEqual(try stack.unpublishedEvents(), 0)

        // Recovery after each kill: until the stage committed its next message (kills after its last message of
        // the run have none).
        let recoveries = try stack.withDatabase { database in
            try kills.compactMap { kill in
                try database.execute(
                    """
                    SELECT extract(epoch FROM min(processed_at))::float8 - $2::float8 AS seconds FROM inbox
                    WHERE consumer = $1 AND processed_at > to_timestamp($2::float8)
                    """,
                    [kill.stage.rawValue, String(kill.at.timeIntervalSince1970)]
                ).rows.first.flatMap { try? $0.double("seconds") }
            }
        }
        let perStage = Self.targets.map { stage in "\(stage.rawValue) \(kills.filter { $0.stage == stage }.count)" }.joined(separator: ", ")
        FaultReport.record(
            "worker-kill", figures,
            faults: "\(kills.count) × kill -9 (\(perStage)) while \(client.submissions.count) operations ran; the broker redelivered "
                + "\(redelivered) deliveries the killed workers had in hand, \(stack.logCount("duplicate message; answering from the inbox")) of them "
                + "already committed (answered from the inbox)",
            recovery: "kill → stage's next commit \(FaultReport.summary(recoveries)); kill → restarted worker ready \(FaultReport.summary(restarts))"
        )
    }
}

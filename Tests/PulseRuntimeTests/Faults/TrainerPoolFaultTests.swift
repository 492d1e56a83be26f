import Foundation
import PulseContracts
import PulseRuntime
import PulseStorage
import XCTest

/// "Three trainers against six training jobs": three `pulse-trainer` processes consume one queue while six jobs of
/// one model name arrive at once, and one trainer is killed (kill -9) in the middle of a job. Every job is trained
/// exactly once, registers exactly one model version, and its model file is byte-for-byte the one an undisturbed
/// single trainer produced for the same job.
final class TrainerPoolFaultTests: FaultTestCase {
    static let jobs = 6
    static let rounds = 100

    func testThreeTrainersShareSixJobsAndEachIsTrainedOnce() throws {
        // The undisturbed reference: one trainer (in-process), the six jobs one after another.
        let reference = try makeStack("poolref")
        reference.startInProcessWorkers([TrainerHandler(), EvaluatorHandler()])
        let referenceClient = FaultClient(stack: reference)
        defer { referenceClient.finish() }
        XCTAssertTrue(LoadRun(clients: 1, jobs: (0..<Self.jobs).map {
            Workload.training(referenceClient, reference.baseline, prefix: "sweep", index: $0, rounds: Self.rounds)
        }).wait())

        // Three trainer processes, the six jobs at once.
        let stack = try makeStack("pool")
        let trainers = try (1...3).map { try stack.startWorker(.trainer, label: "pulse-trainer-\($0)") }
        try stack.startWorker(.evaluator)  // takes the training.completed events
        let client = FaultClient(stack: stack)
        defer { client.finish() }
        let load = LoadRun(clients: Self.jobs, jobs: (0..<Self.jobs).map {
            Workload.training(client, stack.baseline, prefix: "sweep", index: $0, rounds: Self.rounds)
        })

        // kill -9 the first trainer seen in the middle of a job; start it again.
        let (victim, heldMessage) = try waitFor("a trainer in the middle of a job", seconds: 120, interval: 0.01) { () -> (WorkerProcess, String)? in
            for trainer in trainers {
                if let line = trainer.logLines().first(where: { $0["msg"] == "training" }), let id = line["pulse.message_id"] { return (trainer, id) }
            }
            return nil
        }
        let killedAt = Date()
        try victim.kill()
        try victim.startReady()
        XCTAssertTrue(load.wait(seconds: 300))
        try stack.waitUntilDrained()

        let figures = try FaultAudit.audit(client.submissions, on: stack, reference: reference)
        XCTAssertEqual(figures.accepted, Self.jobs)
        XCTAssertEqual(figures.completed, Self.jobs, "\(figures.problems)")
        XCTAssertEqual(figures.duplicated, 0, "\(figures.problems)")
        XCTAssertEqual(figures.lost, 0, "\(figures.problems)")
        XCTAssertEqual(figures.problems, [])
        try stack.withDatabase { database in
            // One model version per job, numbered 1…6 without a gap or a repeat (the unique index allows no repeat;
            // a lost race for a number must not lose the job).
            let versions = try database.execute("SELECT version FROM models WHERE name = 'sweep_pool' ORDER BY version").rows.map { try $0.int("version") }
            XCTAssertEqual(versions, Array(1...Self.jobs))
            XCTAssertEqual(try database.execute("SELECT count(*) AS n FROM training_jobs WHERE model_name = 'sweep_pool'").rows[0].int("n"), Self.jobs)
        }
        // The job in hand when its trainer died was finished by a trainer later.
        let finished = try stack.withDatabase {
            try $0.execute(
                "SELECT extract(epoch FROM processed_at)::float8 AS at FROM inbox WHERE consumer = 'trainer' AND message_id = $1", [heldMessage]
            ).rows.first?.double("at")
        }
        let recovery = try XCTUnwrap(finished).advanced(by: -killedAt.timeIntervalSince1970)
        // Work was shared: every job ran on some trainer (the victim's log has two incarnations).
        let handledBy = trainers.map { trainer in
            (1...trainer.incarnation).flatMap { trainer.logLines(incarnation: $0) }
                .filter { $0["msg"] == "message handled" && $0["pulse.operation"] == Operations.startTraining.rawValue }.count
        }
        XCTAssertEqual(handledBy.reduce(0, +), Self.jobs, "\(handledBy)")
        FaultReport.record(
            "trainer-pool", figures,
            faults: "3 pulse-trainer processes, 6 jobs at once (handled \(handledBy.map(String.init).joined(separator: "/"))), 1 kill -9 mid-job",
            recovery: "killed job committed by a trainer \(FaultReport.seconds(recovery)) after the kill"
        )
    }

    /// Two trainers that finish jobs of one model name at the same moment both register a version. The moment is
    /// made certain, not hoped for: the test holds the `models` table (reads still pass) while both trainers train
    /// and read the latest version, so both reach their commit having read the same one; then it lets go.
    func testTwoTrainersFinishingTogetherBothRegisterAVersion() throws {
        let stack = try makeStack("versionrace")
        let trainers = try (1...2).map { try stack.startWorker(.trainer, label: "pulse-trainer-\($0)") }
        try stack.startWorker(.evaluator)
        let client = FaultClient(stack: stack)
        defer { client.finish() }

        let holder = try PostgresConnection.connect(url: stack.databaseURL)
        defer { holder.close() }
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE models IN EXCLUSIVE MODE")
        for index in 0..<2 { Workload.training(client, stack.baseline, prefix: "race", index: index, rounds: 20, async: true)() }
        let ids = (0..<2).map { client.messageId(forKey: "race-t\($0)") }
        // Both trained (and so read the latest version), both waiting to commit.
        _ = try waitFor("both trainers to wait at their commit", seconds: 120, interval: 0.05) { () -> Bool? in
            let trained = trainers.flatMap { $0.logLines() }.filter { $0["msg"] == "model trained" }.compactMap { $0["pulse.message_id"] }
            guard Set(trained) == Set(ids) else { return nil }
            let waiting = try holder.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pulse-trainer' AND wait_event_type = 'Lock'"
            ).rows[0].int("n")
            return waiting == 2 ? true : nil
        }
        let released = Date()
        try holder.execute("ROLLBACK")

        try waitFor("both jobs to reach a terminal state", seconds: 120, interval: 0.1) { () -> Bool? in
            let terminal = try stack.withDatabase {
                try $0.execute("SELECT count(*) AS n FROM inbox WHERE consumer = 'trainer' AND message_id = ANY($1::text[])", ["{" + ids.joined(separator: ",") + "}"])
                    .rows[0].int("n")
            }
            let parked = try stack.parkedMessageIds(.trainer).count
            return terminal + parked == 2 ? true : nil
        }
        let finished = Date()
        try stack.waitUntilDrained(parked: [.trainer: try stack.parkedMessageIds(.trainer).count])
        let figures = try FaultAudit.audit(client.submissions, on: stack, reference: nil)
        XCTAssertEqual(figures.completed, 2, "\(figures) \(figures.problems)")
        XCTAssertEqual(figures.parked, 0, "a job lost the race for a version number and was parked")
        XCTAssertEqual(figures.lost, 0, "\(figures.problems)")
        XCTAssertEqual(figures.duplicated, 0, "\(figures.problems)")
        let versions = try stack.withDatabase {
            try $0.execute("SELECT version FROM models WHERE name = 'race_pool' ORDER BY version").rows.map { try $0.int("version") }
        }
        XCTAssertEqual(versions, [1, 2])
        try stack.waitUntilDrained()
        FaultReport.record(
            "trainer-version-race", figures, faults: "2 pulse-trainer processes reach the commit of versions of one model at the same moment; the later one goes round again",
            recovery: "both versions registered \(FaultReport.seconds(finished.timeIntervalSince(released))) after the commits were let go"
        )
    }
}

import Foundation
import PulseRuntime
import XCTest

/// The base of every fault scenario: skips outside `ops/test.sh`, and tears each stack down after the test
/// whatever happened (keeping the workers' logs when the test failed).
///
/// XCTest rather than Swift Testing for the fault suite: XCTest runs these classes one after another, and
/// `swift test` runs the Swift Testing suites in a separate pass afterwards, so a scenario that restarts RabbitMQ
/// or PostgreSQL never pulls a service from under a test running in parallel.
class FaultTestCase: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(FaultEnvironment.available, "run through ops/test.sh (missing \(FaultEnvironment.missing.joined(separator: ", ")))")
    }

    /// A new stack, closed in this test's teardown.
    func makeStack(_ scenario: String, retryDelaySeconds: Int = 1, replyTimeoutSeconds: Double = 5) throws -> FaultStack {
        let stack = try FaultStack(scenario: scenario, retryDelaySeconds: retryDelaySeconds, replyTimeoutSeconds: replyTimeoutSeconds)
        addTeardownBlock { [weak self] in
            stack.close(keepLogs: (self?.testRun?.totalFailureCount ?? 1) > 0)
        }
        return stack
    }

    /// The undisturbed run to audit a scenario against: the same first `jobs` pipeline jobs (same keys) on a new
    /// stack, every stage in-process, nothing broken.
    func undisturbedRun(_ scenario: String, jobs: Int, clients: Int, prefix: String) throws -> FaultStack {
        let reference = try makeStack(scenario)
        reference.startInProcessWorkers([
            ExtractorHandler(), SnapshotterHandler(), TrainerHandler(), EvaluatorHandler(), ScorerHandler(), DriftMonitorHandler(),
        ])
        let client = FaultClient(stack: reference)
        defer { client.finish() }
        let baseline = reference.baseline
        XCTAssertTrue(LoadRun(clients: clients) { $0 < jobs ? Workload.pipeline(client, baseline, prefix: prefix, index: $0) : nil }.wait())
        return reference
    }
}

import Foundation
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
}

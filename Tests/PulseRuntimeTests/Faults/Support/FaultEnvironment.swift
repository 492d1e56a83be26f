import Foundation

/// What the fault suite needs from `ops/test.sh`: the services, the script that stops and starts them, the built
/// worker executables and where the figures go. CI sets every variable, so the suite always runs there.
enum FaultEnvironment {
    private static let variables = ProcessInfo.processInfo.environment

    /// Admin URL of the test database server (the suite creates and drops its own databases there).
    static let adminDatabaseURL = variables["PULSE_TEST_DATABASE_URL"]
    static let amqpURL = variables["PULSE_TEST_AMQP_URL"]
    /// The read-only reader's URL of the demo source (`flights`).
    static let sourceURL = variables["PULSE_TEST_SOURCE_URL"]
    /// The RabbitMQ management API, e.g. http://127.0.0.1:15673 (guest/guest).
    static let managementURL = variables["PULSE_TEST_AMQP_MGMT_URL"]
    /// `ops/services.sh`: `stop|start metadata|source|rabbitmq`.
    static let servicesScript = variables["PULSE_TEST_SERVICES"]
    /// `swift build --show-bin-path`: where `pulse-scorer` & co. are.
    static let binDirectory = variables["PULSE_TEST_BIN_DIR"]
    /// Where each scenario appends its line of figures (the test's temporary directory when unset).
    static let reportPath = variables["PULSE_FAULT_REPORT"]

    static var missing: [String] {
        [
            ("PULSE_TEST_DATABASE_URL", adminDatabaseURL), ("PULSE_TEST_AMQP_URL", amqpURL), ("PULSE_TEST_SOURCE_URL", sourceURL),
            ("PULSE_TEST_AMQP_MGMT_URL", managementURL), ("PULSE_TEST_SERVICES", servicesScript), ("PULSE_TEST_BIN_DIR", binDirectory),
        ].filter { $0.1 == nil }.map(\.0)
    }

    static var available: Bool { missing.isEmpty }

    /// The package root (for `Topology/pulse.json`): Tests/PulseRuntimeTests/Faults/Support/<this file>.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var topologyFile: URL { packageRoot.appendingPathComponent("Topology/pulse.json") }
}

/// A failure of the fault suite's own machinery (a process that would not start, a condition never met).
struct FaultSuiteError: Error, CustomStringConvertible {
    let description: String
    /// Ends a `waitFor` at once instead of being retried until its deadline (the condition can no longer be met).
    let isFinal: Bool
    init(_ description: String, final: Bool = false) {
        self.description = description
        isFinal = final
    }
}

/// Polls `probe` every `interval` seconds until it returns a value or `seconds` pass (then throws `what`).
/// Deadlines are upper bounds for waiting on a condition, never assertions on timing.
@discardableResult
func waitFor<T>(_ what: String, seconds: Double, interval: Double = 0.05, _ probe: () throws -> T?) throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    var lastError: (any Error)?
    while true {
        do {
            if let value = try probe() { return value }
            lastError = nil
        } catch let error as FaultSuiteError where error.isFinal {
            throw error
        } catch {
            lastError = error
        }
        guard Date() < deadline else {
            throw FaultSuiteError("timed out after \(seconds) s waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
        }
        Thread.sleep(forTimeInterval: interval)
    }
}

import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage

/// One isolated Pulse stack for a scenario: a copy of the baseline database, its own topology prefix on the shared
/// broker, an in-process gateway, and its workers — real executables started as child processes (`startWorker`),
/// or, for the undisturbed reference run, every stage's worker host in-process (`startInProcessWorkers`).
/// `close()` kills every worker, stops the gateway, deletes the queues and drops the database, whatever happened.
final class FaultStack {
    let scenario: String
    let baseline: FaultBaseline
    let databaseName: String
    let databaseURL: String
    let configuration: RuntimeConfiguration
    let topology: Topology
    /// Logs of the child processes.
    let directory: URL
    let gateway: Gateway
    let client: GatewayClient
    private(set) var workers: [WorkerProcess] = []
    private var inProcess: WorkerPool?

    /// - Parameters:
    ///   - retryDelaySeconds: every retry tier's delay (the topology's 5 s/30 s/120 s would make the suite slow).
    ///   - replyTimeoutSeconds: how long the gateway waits for a worker before it answers 202.
    init(scenario: String, retryDelaySeconds: Int = 1, replyTimeoutSeconds: Double = 5) throws {
        self.scenario = scenario
        baseline = try FaultBaseline.shared()
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let slug = scenario.filter { $0.isLetter || $0.isNumber }.lowercased().prefix(16)
        databaseName = "pulse_faults_\(slug)_\(suffix)"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-fault-logs-\(slug)-\(suffix)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        databaseURL = try FaultDatabases.create(databaseName, template: baseline.templateDatabase, adminURL: baseline.adminURL)
        var configuration = RuntimeConfiguration(
            databaseURL: databaseURL, amqpURL: baseline.amqpURL, objectStoreRoot: baseline.objectStore,
            masterKeyFile: baseline.keyFile, topologyFile: FaultEnvironment.topologyFile
        )
        configuration.topologyPrefix = "f\(slug)\(suffix)"
        configuration.retryDelayOverrideSeconds = retryDelaySeconds
        configuration.replyTimeoutSeconds = replyTimeoutSeconds
        self.configuration = configuration
        do {
            topology = try FaultBroker.topology(prefix: configuration.topologyPrefix, retryDelaySeconds: retryDelaySeconds)
            gateway = try Gateway(configuration: configuration)
            try gateway.start()
        } catch {
            try? FaultDatabases.drop(databaseName, adminURL: baseline.adminURL)
            throw error
        }
        client = GatewayClient(port: gateway.port)
    }

    // MARK: - Workers

    /// The environment of a worker of this stack: nothing inherited but the basics, so no setting of the
    /// developer's own stack leaks in.
    func environment(consumers: Int = 1) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG", "TMPDIR"].contains($0.key) }
        environment["PULSE_DATABASE_URL"] = databaseURL
        environment["PULSE_AMQP_URL"] = configuration.amqpURL
        environment["PULSE_OBJECT_STORE"] = configuration.objectStoreRoot.path
        environment["PULSE_MASTER_KEY_FILE"] = configuration.masterKeyFile.path
        environment["PULSE_TOPOLOGY"] = configuration.topologyFile.path
        environment["PULSE_TOPOLOGY_PREFIX"] = configuration.topologyPrefix
        environment["PULSE_RETRY_DELAY_SECONDS"] = configuration.retryDelayOverrideSeconds.map(String.init)
        environment["PULSE_CONSUMERS"] = String(consumers)
        return environment
    }

    /// Starts `pulse-<stage>` as a child process and waits until it is ready.
    @discardableResult
    func startWorker(_ stage: Stage, consumers: Int = 1, label: String? = nil) throws -> WorkerProcess {
        guard let bin = FaultEnvironment.binDirectory else { throw FaultSuiteError("PULSE_TEST_BIN_DIR is not set") }
        let executable = URL(fileURLWithPath: bin).appendingPathComponent("pulse-\(stage.rawValue)")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw FaultSuiteError("\(executable.path) is missing: run `swift build --build-tests` (ops/test.sh does)")
        }
        let worker = WorkerProcess(
            executable: executable, label: label ?? "pulse-\(stage.rawValue)", environment: environment(consumers: consumers), logDirectory: directory
        )
        workers.append(worker)
        try worker.startReady()
        return worker
    }

    /// The undisturbed reference: every stage's worker host on threads of the test process.
    func startInProcessWorkers(_ handlers: [any StageHandler]) {
        inProcess = WorkerPool(configuration: configuration, handlers: handlers)
    }

    // MARK: - Looking at it

    @discardableResult
    func withDatabase<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try PostgresConnection.connect(url: databaseURL)
        defer { connection.close() }
        return try body(connection)
    }

    func stage(_ stage: Stage) throws -> Topology.Stage { try topology.stage(named: stage.rawValue) }

    /// Message ids parked in a stage's dead-letter queue (read and put back: nothing moves).
    func parkedMessageIds(_ stage: Stage) throws -> [String] {
        let deadLetters = try DeadLetters(configuration: configuration, stageName: stage.rawValue)
        defer { deadLetters.close() }
        return try deadLetters.list().compactMap(\.messageId)
    }

    /// Moves every parked message of a stage back to its queue (message ids kept); returns how many.
    func replayParked(_ stage: Stage) throws -> Int {
        let deadLetters = try DeadLetters(configuration: configuration, stageName: stage.rawValue)
        defer { deadLetters.close() }
        return try deadLetters.replay(DeadLetters.Filter())
    }

    /// Waits until every event committed to the outbox has been published (a worker killed between its commit and
    /// its publish leaves that to the next outbox sweep), then until the management API shows every queue of this
    /// stack drained — 0 ready and 0 unacknowledged in every stage and retry queue, and exactly `parked[stage]`
    /// (default 0) ready in each dead-letter queue — and returns the figures it saw last.
    @discardableResult
    func waitUntilDrained(parked: [Stage: Int] = [:], seconds: Double = 60) throws -> [ManagementAPI.QueueFigures] {
        _ = try waitFor("the outbox of \(scenario) to be published", seconds: seconds, interval: 0.25) { try unpublishedEvents() == 0 ? true : nil }
        let management = try ManagementAPI()
        defer { management.finish() }
        var expected: [String: Int] = [:]
        for stage in topology.stages {
            expected[stage.deadLetterQueue] = Stage(rawValue: stage.name).flatMap { parked[$0] } ?? 0
        }
        var last: [ManagementAPI.QueueFigures] = []
        do {
            return try waitFor("every queue of \(scenario) to drain", seconds: seconds, interval: 0.25) { () -> [ManagementAPI.QueueFigures]? in
                last = try topology.queues.compactMap { try management.queue($0.name) }
                let drained = last.count == topology.queues.count
                    && last.allSatisfy { $0.unacknowledged == 0 && $0.ready == (expected[$0.name] ?? 0) }
                return drained ? last : nil
            }
        } catch {
            let busy = last.filter { $0.ready != (expected[$0.name] ?? 0) || $0.unacknowledged != 0 }
            throw FaultSuiteError("\(error); not drained: \(busy.map(\.description).joined(separator: "; "))")
        }
    }

    /// Log lines with this message, over every worker process and incarnation of this stack.
    func logCount(_ message: String) -> Int {
        workers.reduce(0) { total, worker in
            total + (0..<worker.incarnation).reduce(0) { $0 + worker.logLines(incarnation: $1 + 1).filter { $0["msg"] == message }.count }
        }
    }

    /// Outbox rows committed but never confirmed by the broker.
    func unpublishedEvents() throws -> Int {
        try withDatabase { try $0.execute("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL").rows[0].int("n") }
    }

    // MARK: - Teardown

    /// Kills every worker, stops the gateway, deletes the queues and drops the database; the workers' logs are
    /// kept (and their place printed) when `keepLogs`, e.g. after a failure. Never throws.
    func close(keepLogs: Bool = false) {
        defer {
            if keepLogs {
                print("fault suite: logs of \(scenario) kept in \(directory.path)")
            } else {
                try? FileManager.default.removeItem(at: directory)
            }
        }
        for worker in workers { worker.stop() }
        inProcess?.stop()
        client.finish()
        gateway.stop()
        FaultBroker.deleteTopology(prefix: configuration.topologyPrefix)
        do {
            try FaultDatabases.drop(databaseName, adminURL: baseline.adminURL)
        } catch {
            print("fault suite: could not drop \(databaseName): \(error)")
        }
    }
}

/// Broker access for the suite's own checks.
enum FaultBroker {
    static func open() throws -> AMQPConnection {
        guard let url = FaultEnvironment.amqpURL else { throw FaultSuiteError("PULSE_TEST_AMQP_URL is not set") }
        return try AMQPConnection.open(try AMQPConfiguration(url: url, connectionName: "pulse-fault-suite"))
    }

    /// The topology a stack with this prefix and retry delay declares.
    static func topology(prefix: String, retryDelaySeconds: Int?) throws -> Topology {
        var topology = try Topology.load(from: FaultEnvironment.topologyFile).prefixed(prefix)
        if let retryDelaySeconds { topology = topology.withRetryDelays(seconds: retryDelaySeconds) }
        return topology
    }

    /// Deletes a stack's queues and exchanges (best effort: teardown must not fail).
    static func deleteTopology(prefix: String) {
        guard let broker = try? open(), let topology = try? topology(prefix: prefix, retryDelaySeconds: nil) else { return }
        defer { broker.close() }
        try? topology.delete(on: broker)
    }
}

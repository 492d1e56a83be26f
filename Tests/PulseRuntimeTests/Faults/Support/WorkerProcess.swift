import Foundation
import Glibc
import Synchronization

/// One Pulse executable (`pulse-scorer`, `pulse-trainer`, …) run as a real child process, the way operators run
/// it: started with a stack's environment, its output in one log file per incarnation, ready when `/readyz`
/// answers 200, stopped with SIGKILL or SIGTERM, restarted, reaped.
///
/// Nothing outlives the test process: every start is recorded in `ChildProcesses` (killed at exit and by each
/// stack's teardown), and where util-linux's `setpriv` exists the child also gets `PR_SET_PDEATHSIG` = SIGKILL,
/// so even a crashed test runner takes its workers with it. That signal fires when the *thread* that started the
/// child ends, so workers are started from the test's own thread, never from a short-lived helper thread.
final class WorkerProcess: Sendable {
    /// How an incarnation ended.
    struct Termination: Sendable, CustomStringConvertible {
        let status: Int32
        let bySignal: Bool
        var description: String { bySignal ? "killed by signal \(status)" : "exited with \(status)" }
    }

    let executable: URL
    /// Names the log files (`<label>-<incarnation>.log`).
    let label: String
    private let environment: [String: String]
    private let directory: URL

    private struct State {
        var process: Process?
        var incarnation = 0
    }

    private let state = Mutex(State())

    init(executable: URL, label: String, environment: [String: String], logDirectory: URL) {
        self.executable = executable
        self.label = label
        self.environment = environment
        directory = logDirectory
    }

    /// Incarnations started so far (1 after the first `start()`).
    var incarnation: Int { state.withLock { $0.incarnation } }

    var pid: Int32? { state.withLock { $0.process.map { $0.processIdentifier } } }

    var isRunning: Bool { state.withLock { $0.process?.isRunning ?? false } }

    /// The log file of an incarnation (the current one by default).
    func logFile(incarnation: Int? = nil) -> URL {
        directory.appendingPathComponent("\(label)-\(incarnation ?? self.incarnation).log")
    }

    /// Starts a new incarnation (the previous one must have ended).
    func start() throws {
        try state.withLock { state in
            if let running = state.process, running.isRunning {
                throw FaultSuiteError("\(label) is already running (pid \(running.processIdentifier))")
            }
            state.incarnation += 1
            let log = directory.appendingPathComponent("\(label)-\(state.incarnation).log")
            guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
                throw FaultSuiteError("cannot create \(log.path)")
            }
            let output = try FileHandle(forWritingTo: log)
            defer { try? output.close() }  // the child has its own copy
            let process = Process()
            if FileManager.default.isExecutableFile(atPath: Self.setpriv) {
                process.executableURL = URL(fileURLWithPath: Self.setpriv)
                process.arguments = ["--pdeathsig", "KILL", "--", executable.path]
            } else {
                process.executableURL = executable
                process.arguments = []
            }
            var environment = environment
            // A worker serves /readyz only on a port it is given (0 means none), so pick a free one.
            environment["PULSE_HTTP_PORT"] = String(try Self.freePort())
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = output
            process.standardError = output
            if let previous = state.process { ChildProcesses.shared.remove(previous.processIdentifier) }
            try process.run()
            ChildProcesses.shared.add(process.processIdentifier, executable: executable.path)
            state.process = process
        }
    }

    /// Waits until the worker's `/readyz` answers 200: its broker and database sessions are up.
    /// Throws (with the end of its log) when it exits first or `seconds` pass.
    func waitUntilReady(seconds: Double = 60) throws {
        let port = try waitFor("\(label) to announce its HTTP port", seconds: seconds) { () -> UInt16? in
            if let ended = termination { throw FaultSuiteError("\(label) \(ended) during start-up:\n\(logTail())", final: true) }
            return logLines().first { $0["msg"] == "worker starting" }.flatMap { $0["pulse.http_port"] }.flatMap { UInt16($0) }
        }
        let probe = GatewayClient(port: port)
        defer { probe.finish() }
        _ = try waitFor("\(label) to be ready on port \(port)", seconds: seconds) { () -> Bool? in
            if let ended = termination { throw FaultSuiteError("\(label) \(ended) before it was ready:\n\(logTail())", final: true) }
            return (try? probe.send("GET", "/readyz"))?.status == 200 ? true : nil
        }
    }

    /// Starts and waits until ready.
    func startReady(seconds: Double = 60) throws {
        try start()
        try waitUntilReady(seconds: seconds)
    }

    /// Sends `signal` to the running incarnation (SIGKILL: `kill -9`).
    func send(_ signal: Int32) {
        guard let pid, pid > 0 else { return }
        Glibc.kill(pid, signal)
    }

    /// The running incarnation's end, once it has ended (nil while it runs or before the first start).
    var termination: Termination? {
        state.withLock { state in
            guard let process = state.process, !process.isRunning else { return nil }
            return Termination(status: process.terminationStatus, bySignal: process.terminationReason == .uncaughtSignal)
        }
    }

    /// Waits until the running incarnation has ended and been reaped.
    @discardableResult
    func waitForExit(seconds: Double = 30) throws -> Termination {
        let ended = try waitFor("\(label) to exit", seconds: seconds, interval: 0.01) { termination }
        if let pid { ChildProcesses.shared.remove(pid) }
        return ended
    }

    /// `kill -9`, then waits until it is gone.
    @discardableResult
    func kill() throws -> Termination {
        send(SIGKILL)
        return try waitForExit()
    }

    /// Teardown: SIGKILL whatever still runs and reap it; never throws.
    func stop() {
        if isRunning {
            send(SIGKILL)
            _ = try? waitForExit(seconds: 10)
        }
        if let pid { ChildProcesses.shared.remove(pid) }
    }

    /// The current incarnation's log, one dictionary per JSON line (non-JSON lines are skipped).
    func logLines(incarnation: Int? = nil) -> [[String: String]] {
        guard let data = FileManager.default.contents(atPath: logFile(incarnation: incarnation).path) else { return [] }
        return data.split(separator: 0x0A).compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
            return object.compactMapValues { $0 as? String }
        }
    }

    /// The last lines of the current log, for failure messages.
    func logTail(_ lines: Int = 20) -> String {
        let text = (try? String(contentsOf: logFile(), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private static let setpriv = "/usr/bin/setpriv"

    /// A loopback port nobody listens on right now (the kernel's pick for port 0).
    private static func freePort() throws -> UInt16 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw FaultSuiteError("socket() failed") }
        defer { Glibc.close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw FaultSuiteError("could not find a free port") }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// Every child process the suite started and has not reaped yet; what is left is killed when the test process
/// exits. (Process-global on purpose: it exists to clean up after tests that did not.)
final class ChildProcesses: Sendable {
    static let shared = ChildProcesses()

    /// pid → the executable it runs.
    private let children = Mutex<[Int32: String]>([:])

    private init() {
        atexit { ChildProcesses.shared.killAll() }
    }

    func add(_ pid: Int32, executable: String) { children.withLock { $0[pid] = executable } }

    func remove(_ pid: Int32) { _ = children.withLock { $0.removeValue(forKey: pid) } }

    /// Kills each recorded child that still runs its executable (a pid may have been reused since it ended).
    func killAll() {
        for (pid, executable) in children.withLock({ $0 }) {
            guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  String(decoding: command, as: UTF8.self).contains(executable) else { continue }
            Glibc.kill(pid, SIGKILL)
        }
    }
}

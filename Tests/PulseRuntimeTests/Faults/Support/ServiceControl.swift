import Foundation
import Glibc

/// Stops and starts one of the stack's services with `ops/services.sh` (`metadata`, `source` or `rabbitmq`), the
/// way an operator would. `start` returns once the service answers (the script waits for it).
enum ServiceControl {
    enum Service: String { case metadata, source, rabbitmq }

    static func stop(_ service: Service) throws { try run("stop", service) }

    static func start(_ service: Service) throws { try run("start", service) }

    private static func run(_ verb: String, _ service: Service) throws {
        guard let script = FaultEnvironment.servicesScript else { throw FaultSuiteError("PULSE_TEST_SERVICES is not set") }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-services-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: output) }
        // `start rabbitmq` takes 10-20 s on this machine kind; the script gives up by itself after 120 s.
        let status = try Subprocess.run("/bin/bash", [script, verb, service.rawValue], output: output, seconds: 180)
        guard status == 0 else {
            let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            throw FaultSuiteError("services.sh \(verb) \(service.rawValue) failed (\(status)):\n\(log)")
        }
    }
}

/// Runs a command to completion with `posix_spawn` and `waitpid`, every descriptor above stderr closed in the
/// child. Not Foundation's `Process`: on Linux it learns that a child ended from a socket the child inherits, and a
/// daemon the command starts (services.sh starts RabbitMQ in the background) inherits it too and keeps it open, so
/// the command would never seem to end. Closing the descriptors also keeps the test's own sockets (database
/// sessions, the gateway's listener) out of a daemon that outlives the test.
enum Subprocess {
    /// The exit status (128 + signal when killed by one). Output and errors go to `output`.
    static func run(_ path: String, _ arguments: [String], output: URL, seconds: Double) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        guard closeFrom(&actions, 3) == 0 else { throw FaultSuiteError("posix_spawn_file_actions_addclosefrom_np failed") }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw FaultSuiteError("posix_spawn \(path) failed: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        do {
            _ = try waitFor("\(path) \(arguments.joined(separator: " "))", seconds: seconds, interval: 0.05) { () -> Bool? in
                waitpid(pid, &status, WNOHANG) == pid ? true : nil
            }
        } catch {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw error
        }
        // WIFEXITED / WEXITSTATUS are macros Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which its headers declare only for _GNU_SOURCE.
    private static let closeFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return { _, _ in ENOSYS } }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}

/// Queue figures from the RabbitMQ management API (`GET /api/queues/%2F/<name>`, guest/guest): what an operator
/// looks at to see that nothing is stuck.
struct ManagementAPI {
    struct QueueFigures: Sendable, CustomStringConvertible {
        let name: String
        let ready: Int
        let unacknowledged: Int
        let consumers: Int
        /// Deliveries the broker made again because a consumer went away with them unacknowledged (cumulative).
        let redelivered: Int
        var description: String { "\(name): \(ready) ready, \(unacknowledged) unacked, \(consumers) consumers" }
    }

    private let client: GatewayClient

    init() throws {
        guard let url = FaultEnvironment.managementURL, let port = URLComponents(string: url)?.port.flatMap(UInt16.init(exactly:)) else {
            throw FaultSuiteError("PULSE_TEST_AMQP_MGMT_URL must be an http URL with a port")
        }
        client = GatewayClient(port: port)
    }

    /// The queue's figures; nil when the queue does not exist.
    func queue(_ name: String) throws -> QueueFigures? {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._"))) ?? name
        let response = try client.send("GET", "/api/queues/%2F/\(encoded)", headers: ["Authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="])
        if response.status == 404 { return nil }
        guard response.status == 200, let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw FaultSuiteError("management API answered \(response.status) for queue \(name): \(response.text.prefix(200))")
        }
        // A queue the statistics have not reached yet has no counters: not an answer yet.
        guard let ready = object["messages_ready"] as? Int, let unacked = object["messages_unacknowledged"] as? Int else {
            throw FaultSuiteError("queue \(name) has no statistics yet")
        }
        let redelivered = (object["message_stats"] as? [String: Any])?["redeliver"] as? Int ?? 0
        return QueueFigures(name: name, ready: ready, unacknowledged: unacked, consumers: object["consumers"] as? Int ?? 0, redelivered: redelivered)
    }

    func finish() { client.finish() }
}

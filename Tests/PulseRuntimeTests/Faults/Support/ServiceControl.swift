import Foundation

/// Stops and starts one of the stack's services with `ops/services.sh` (`metadata`, `source` or `rabbitmq`), the
/// way an operator would. `start` returns once the service answers (the script waits for it).
enum ServiceControl {
    enum Service: String { case metadata, source, rabbitmq }

    static func stop(_ service: Service) throws { try run("stop", service) }

    static func start(_ service: Service) throws { try run("start", service) }

    private static func run(_ verb: String, _ service: Service) throws {
        guard let script = FaultEnvironment.servicesScript else { throw FaultSuiteError("PULSE_TEST_SERVICES is not set") }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-services-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, verb, service.rawValue]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        // `start rabbitmq` takes 10-20 s on this machine kind; the script gives up by itself after 120 s.
        _ = try waitFor("services.sh \(verb) \(service.rawValue)", seconds: 180, interval: 0.05) { process.isRunning ? nil : true }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            throw FaultSuiteError("services.sh \(verb) \(service.rawValue) failed (\(process.terminationStatus)):\n\(log)")
        }
    }
}

/// Queue figures from the RabbitMQ management API (`GET /api/queues/%2F/<name>`, guest/guest): what an operator
/// looks at to see that nothing is stuck.
struct ManagementAPI {
    struct QueueFigures: Sendable, CustomStringConvertible {
        let name: String
        let ready: Int
        let unacknowledged: Int
        let consumers: Int
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
        return QueueFigures(name: name, ready: ready, unacknowledged: unacked, consumers: object["consumers"] as? Int ?? 0)
    }

    func finish() { client.finish() }
}

import Foundation
import PulseMessaging

/// Test access to the real RabbitMQ named by `PULSE_TEST_AMQP_URL`, with a freshly declared topology
/// under a random prefix (so tests run in parallel) that is deleted again by `tearDown()`.
final class BrokerFixture {
    static let url = ProcessInfo.processInfo.environment["PULSE_TEST_AMQP_URL"]
    static let isAvailable = url != nil

    /// `Topology/pulse.json` at the package root.
    static let topologyFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Topology/pulse.json")

    let configuration: AMQPConfiguration
    let prefix: String
    let topology: Topology
    /// For declarations, inspection and `get`.
    let admin: AMQPConnection

    init(retryDelaySeconds: Int? = nil) throws {
        guard let url = Self.url else { throw MessagingError(.invalidURL, "PULSE_TEST_AMQP_URL is not set") }
        configuration = try AMQPConfiguration(url: url, connectionName: "pulse-messaging-tests")
        prefix = "t\(UInt32.random(in: 0...UInt32.max))"
        var topology = try Topology.load(from: Self.topologyFile).prefixed(prefix)
        if let retryDelaySeconds { topology = topology.withRetryDelays(seconds: retryDelaySeconds) }
        self.topology = topology
        admin = try AMQPConnection.open(configuration)
        try topology.declare(on: admin)
    }

    func tearDown() {
        try? topology.delete(on: admin)
        admin.close()
    }

    func makePublisher() throws -> Publisher {
        try Publisher(connection: AMQPConnection.open(configuration))
    }

    func makeConsumer(queue: String, prefetch: UInt16 = 10) throws -> Consumer {
        try Consumer(connection: AMQPConnection.open(configuration), queue: queue, prefetch: prefetch)
    }

    /// Polls `condition` until it is true or `seconds` pass; returns its last value.
    func eventually(within seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)   // polling interval, not synchronisation
        }
        return try condition()
    }

    /// Polls `basic.get` on `queue` until a message arrives or `seconds` pass.
    func waitForMessage(on queue: String, within seconds: Double = 10) throws -> Delivery? {
        var delivery: Delivery?
        _ = try eventually(within: seconds) {
            delivery = try admin.get(queue: queue)
            return delivery != nil
        }
        return delivery
    }
}

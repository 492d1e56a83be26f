import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import Synchronization
import Testing

/// The real services the gateway tests need; CI sets both variables.
enum GatewayServices {
    static let databaseURL = ProcessInfo.processInfo.environment["PULSE_TEST_DATABASE_URL"]
    static let amqpURL = ProcessInfo.processInfo.environment["PULSE_TEST_AMQP_URL"]
    static var available: Bool { databaseURL != nil && amqpURL != nil }
}

/// One database (`pulse_gw_<random>`) for the gateway tests of this process, created on first use and dropped
/// at process exit: creating one per test serialises on the server. Tests stay independent through their own
/// ids, tenants and topology prefixes.
final class SharedGatewayDatabase: Sendable {
    static let shared = SharedGatewayDatabase()

    private struct State {
        var adminURL: String?
        var name: String?
    }

    private let state = Mutex(State())

    /// The database's URL, creating it (with migrations) on first use.
    func acquire(adminURL: String) throws -> String {
        try state.withLock { state in
            if let name = state.name { return try Self.url(adminURL, database: name) }
            let name = "pulse_gw_\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
            let admin = try PostgresConnection.connect(url: adminURL)
            defer { admin.close() }
            try admin.execute("CREATE DATABASE \(try admin.escapeIdentifier(name))")
            let url = try Self.url(adminURL, database: name)
            let database = try PostgresConnection.connect(url: url)
            defer { database.close() }
            _ = try Migrator().apply(try Migrations.bundled(), on: database)
            state = State(adminURL: adminURL, name: name)
            atexit { SharedGatewayDatabase.shared.drop() }
            return url
        }
    }

    private func drop() {
        let current = state.withLock { $0 }
        guard let adminURL = current.adminURL, let name = current.name,
              let admin = try? PostgresConnection.connect(url: adminURL) else { return }
        _ = try? admin.execute("DROP DATABASE IF EXISTS \((try? admin.escapeIdentifier(name)) ?? name) WITH (FORCE)")
        admin.close()
    }

    private static func url(_ adminURL: String, database: String) throws -> String {
        var components = try #require(URLComponents(string: adminURL))
        components.path = "/" + database
        return try #require(components.string)
    }
}

/// A running gateway on the shared test database, with its own topology prefix and temp directory.
final class GatewayFixture {
    let gateway: Gateway
    let configuration: RuntimeConfiguration
    let topology: Topology
    let databaseURL: String
    let client: GatewayClient
    private let directory: URL

    /// `retryDelaySeconds` shortens every retry tier (the gateway declares the topology too, so the gateway and the
    /// workers must agree on the tiers' TTLs).
    ///
    /// Fixtures share one database, so only a fixture that asks for it (`schedulerSeconds` > 0) runs monitoring
    /// schedules: another fixture's drift monitor would claim them and run the pass on its own object store.
    init(replyTimeoutSeconds: Double = 30, retryDelaySeconds: Int? = nil, adminToken: String? = nil, schedulerSeconds: Double = 0) throws {
        let adminURL = try #require(GatewayServices.databaseURL)
        let amqpURL = try #require(GatewayServices.amqpURL)
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        databaseURL = try SharedGatewayDatabase.shared.acquire(adminURL: adminURL)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-gw-\(suffix)")
        self.directory = directory

        do {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("objects"), withIntermediateDirectories: true)
            let keyFile = directory.appendingPathComponent("master.key")
            try Data(String(repeating: "ab", count: 32).utf8).write(to: keyFile)
            // Tests/PulseRuntimeTests/<this file> → the package root's Topology/pulse.json.
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            var configuration = RuntimeConfiguration(
                databaseURL: databaseURL, amqpURL: amqpURL, objectStoreRoot: directory.appendingPathComponent("objects"),
                masterKeyFile: keyFile, topologyFile: root.appendingPathComponent("Topology/pulse.json")
            )
            configuration.topologyPrefix = "gw\(suffix)"
            configuration.httpPort = 0
            configuration.replyTimeoutSeconds = replyTimeoutSeconds
            configuration.retryDelayOverrideSeconds = retryDelaySeconds
            configuration.adminToken = adminToken
            configuration.schedulerSeconds = schedulerSeconds
            self.configuration = configuration
            topology = try Topology.load(from: configuration.topologyFile).prefixed(configuration.topologyPrefix)
            gateway = try Gateway(configuration: configuration)
            try gateway.start()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        client = GatewayClient(port: gateway.port)
    }

    /// Runs `body` on a fresh connection to this fixture's database.
    @discardableResult
    func withDatabase<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try PostgresConnection.connect(url: databaseURL)
        defer { connection.close() }
        return try body(connection)
    }

    /// A new broker connection (the caller closes it).
    func openBroker() throws -> AMQPConnection {
        try AMQPConnection.open(try AMQPConfiguration(url: configuration.amqpURL, connectionName: "pulse-gateway-test"))
    }

    func close() {
        client.finish()
        gateway.stop()
        if let broker = try? openBroker() {
            try? topology.delete(on: broker)
            broker.close()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A blocking HTTP client over URLSession for the gateway tests (the tests are plain threads, like the gateway).
struct GatewayClient: Sendable {
    struct Response: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data

        /// A header, whatever the case of `name`.
        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }

        /// The body as a JSON object.
        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let base: String
    private let session: URLSession

    init(port: UInt16) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
        base = "http://127.0.0.1:\(port)"
    }

    /// Sends a request and blocks until the response arrives.
    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) throws -> Response {
        var request = URLRequest(url: try #require(URL(string: base + path)))
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = Data(body.utf8)
            if headers["Content-Type"] == nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        }
        let outcome = Mutex<Result<Response, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            let result: Result<Response, any Error>
            if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (name, value) in http.allHeaderFields { fields["\(name)"] = "\(value)" }
                result = .success(Response(status: http.statusCode, headers: fields, body: data ?? Data()))
            } else {
                result = .failure(error ?? URLError(.badServerResponse))
            }
            outcome.withLock { $0 = result }
            done.signal()
        }.resume()
        done.wait()
        return try #require(outcome.withLock { $0 }).get()
    }

    /// Sends on another thread; `wait()` on the returned value gives the response.
    func sendInBackground(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) -> Pending {
        let pending = Pending()
        Thread {
            let result = Result { try send(method, path, headers: headers, body: body) }
            pending.result.withLock { $0 = result }
            pending.done.signal()
        }.start()
        return pending
    }

    final class Pending: Sendable {
        fileprivate let result = Mutex<Result<Response, any Error>?>(nil)
        fileprivate let done = DispatchSemaphore(value: 0)

        func wait() throws -> Response {
            done.wait()
            return try #require(result.withLock { $0 }).get()
        }
    }

    func finish() { session.finishTasksAndInvalidate() }
}

/// A valid datasource registration payload (the connection is never used: no worker runs in these tests).
let registrationPayload = """
    {"name":"flights","kind":"postgres",
     "connection":{"host":"127.0.0.1","port":5432,"database":"src","user":"reader","password":"s3cret"},
     "allowlist":["public.flights_v"]}
    """

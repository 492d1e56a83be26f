import Dispatch
import Foundation
import PulseContracts
import PulseHTTP
import PulseMessaging
import PulseStorage
import Synchronization

/// The HTTP ingress: publishes mutations to the commands exchange and waits for the worker's reply, answers
/// queries from PostgreSQL, and serves `/livez`, `/readyz`, `/metrics` and the OpenAPI document.
///
/// Plain threads end to end: libmicrohttpd runs one thread per connection and the handlers block.
public final class Gateway: Sendable {
    private struct Running {
        let pool: ConnectionPool
        let bus: CommandBus
        let server: HTTPServer
    }

    public let configuration: RuntimeConfiguration
    /// The process's metrics (served on `/metrics`).
    public let metrics: MetricsRegistry
    private let topology: Topology
    private let amqp: AMQPConfiguration
    private let sealer: SecretSealer
    private let logger = Logger(label: "pulse-gateway")
    private let running = Mutex<Running?>(nil)
    private let stopped = DispatchSemaphore(value: 0)

    /// Loads and checks the topology and settings; connects to nothing yet.
    /// - Throws: `GatewayError.configuration`, `MessagingError` (`.invalidTopology`, `.invalidURL`), or
    ///   `StorageError.invalidKey` when the master key file (which seals datasource passwords) is missing or malformed.
    public init(configuration: RuntimeConfiguration, metrics: MetricsRegistry = MetricsRegistry(version: "dev")) throws {
        guard TenantID.isValid(configuration.defaultTenant) else {
            throw GatewayError(.configuration, "the default tenant '\(configuration.defaultTenant)' is not a valid tenant id")
        }
        self.configuration = configuration
        self.metrics = metrics
        topology = try RuntimeTopology.load(configuration)
        amqp = try AMQPConfiguration(url: configuration.amqpURL, connectionName: "pulse-gateway")
        sealer = try SecretSealer.loadKeyFile(configuration.masterKeyFile, keyId: configuration.masterKeyId)
    }

    /// The bound HTTP port (0 before `start()`).
    public var port: UInt16 { running.withLock { $0?.server.port ?? 0 } }

    /// Connects to PostgreSQL (applying migrations) and RabbitMQ (declaring the topology), then starts serving.
    public func start() throws {
        let alreadyRunning = running.withLock { $0 != nil }
        guard !alreadyRunning else { return }
        let pool = ConnectionPool(configuration: .init(url: configuration.databaseURL, applicationName: "pulse-gateway"))
        do {
            _ = try pool.withConnection { try Migrator().apply(try Migrations.bundled(), on: $0) }
        } catch {
            pool.close()
            throw error
        }
        let bus: CommandBus
        do {
            bus = try CommandBus(amqp: amqp, topology: topology, logger: logger)
        } catch {
            pool.close()
            throw error
        }
        let routes = GatewayRoutes(
            bus: bus, pool: pool, metrics: metrics, logger: logger, defaultTenant: configuration.defaultTenant,
            replyTimeoutSeconds: configuration.replyTimeoutSeconds, sealer: sealer,
            idempotencyKeyHours: configuration.idempotencyKeyHours,
            operatorAccess: OperatorAccess(configuration: configuration)
        )
        let router = Router()
        routes.install(on: router)
        addHealthRoutes(to: router, metrics: metrics, isReady: { routes.isReady() })
        let server = HTTPServer(configuration: .init(host: configuration.httpHost, port: configuration.httpPort), router: router)
        do {
            try server.start()
        } catch {
            bus.close()
            pool.close()
            throw error
        }
        running.withLock { $0 = Running(pool: pool, bus: bus, server: server) }
        logger.info("gateway listening", ["http.host": configuration.httpHost, "http.port": String(server.port)])
    }

    /// Starts and blocks until `stop()` is called (from a signal handler or another thread).
    public func run() throws {
        try start()
        stopped.wait()
    }

    /// Stops taking requests: requests waiting for a reply answer 202, the HTTP server drains and stops, then
    /// the connections close. Idempotent.
    public func stop() {
        defer { stopped.signal() }
        guard let current = running.withLock({ state -> Running? in
            defer { state = nil }
            return state
        }) else { return }
        current.bus.close()
        current.server.stop()
        current.pool.close()
        logger.info("gateway stopped")
    }
}

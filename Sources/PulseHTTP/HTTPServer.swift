import Synchronization

/// An HTTP/1.1 server over libmicrohttpd. Each connection gets its own thread, so handlers may block (PostgreSQL,
/// RabbitMQ). Bodies are read whole, up to `Configuration.maxBodyBytes`; a larger body gets a 413 problem.
///
/// Thread-safe: the running daemon lives in a `Mutex`; everything else is immutable.
public final class HTTPServer: Sendable {
    /// Where and how to listen.
    public struct Configuration: Sendable {
        /// An IPv4 or IPv6 address literal, or "localhost".
        public var host = "127.0.0.1"
        /// The port; 0 picks a free one (read it back from `HTTPServer.port` after `start()`).
        public var port: UInt16 = 8080
        /// Largest accepted request body.
        public var maxBodyBytes = 16 << 20
        /// Idle connections are closed after this many seconds (0: never).
        public var connectionTimeoutSeconds = 30

        /// Creates a configuration; every field has a default.
        public init(host: String = "127.0.0.1", port: UInt16 = 8080, maxBodyBytes: Int = 16 << 20, connectionTimeoutSeconds: Int = 30) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
        }
    }

    /// The configuration the server was created with.
    public let configuration: Configuration
    private let router: Router
    private let daemon = Mutex<MHDDaemon?>(nil)

    /// Creates a stopped server; `start()` binds.
    public init(configuration: Configuration = Configuration(), router: Router) {
        self.configuration = configuration
        self.router = router
    }

    deinit { stop() }

    /// Binds and starts serving on background threads; returns at once. Throws `HTTPServerError` when the
    /// configuration is invalid or the port is taken. Does nothing if the server is already running.
    public func start() throws {
        var problems: [String] = []
        if configuration.maxBodyBytes < 0 { problems.append("maxBodyBytes must not be negative") }
        if configuration.connectionTimeoutSeconds < 0 { problems.append("connectionTimeoutSeconds must not be negative") }
        guard problems.isEmpty else {
            throw HTTPServerError(.invalidConfiguration, problems.joined(separator: "; ") + ".")
        }
        let dispatcher = RequestDispatcher(router: router, maxBodyBytes: configuration.maxBodyBytes)
        try daemon.withLock { (daemon: inout MHDDaemon?) throws(HTTPServerError) in
            guard daemon == nil else { return }
            daemon = try MHDDaemon.start(
                host: configuration.host,
                port: configuration.port,
                connectionTimeoutSeconds: configuration.connectionTimeoutSeconds,
                dispatcher: dispatcher
            )
        }
    }

    /// The bound port while running (the real one when configured with 0); the configured port otherwise.
    public var port: UInt16 {
        daemon.withLock { $0?.port } ?? configuration.port
    }

    /// Stops listening, closes connections and waits for in-flight handlers to return. Idempotent.
    public func stop() {
        // Shut down outside the lock: handlers still running may read `port`.
        let running = daemon.withLock { $0.take() }
        running?.shutdown()
    }
}

import Foundation

/// Everything a Pulse process needs to run, as values. Executables build it from their environment and flags
/// (`init(environment:arguments:)`); libraries and tests build it directly.
public struct RuntimeConfiguration: Sendable {
    public var databaseURL: String
    public var amqpURL: String
    public var objectStoreRoot: URL
    public var masterKeyFile: URL
    public var masterKeyId: String = "local-1"
    public var topologyFile: URL
    /// Prefix for every exchange and queue name (tests run isolated stacks side by side); empty in production.
    public var topologyPrefix: String = ""
    /// Override of every retry tier's delay (`PULSE_RETRY_DELAY_SECONDS`, for tests and drills); nil keeps the
    /// topology's delays. Every process of one stack must agree: the delay is the retry queue's `x-message-ttl`.
    public var retryDelayOverrideSeconds: Int?
    public var httpHost: String = "127.0.0.1"
    /// Port of the process's HTTP server (the gateway's API, or a worker's /livez, /readyz, /metrics); 0 = ephemeral.
    public var httpPort: UInt16 = 0
    public var prefetch: UInt16 = 1
    /// Consuming threads in one worker process, each with its own connections (`PULSE_CONSUMERS`).
    public var consumers: Int = 1
    /// How long the gateway waits for a worker's reply before answering 202 with a Location to poll.
    public var replyTimeoutSeconds: Double = 120
    public var defaultTenant: String = "default"
    /// How long idempotency keys are kept after their last change (`PULSE_IDEMPOTENCY_KEY_HOURS`, at least 24).
    public var idempotencyKeyHours: Int = 24
    /// How often a worker whose stage has timed work (the drift monitor's schedules) looks for what is due
    /// (`PULSE_SCHEDULER_SECONDS`; 0 turns it off in this process).
    public var schedulerSeconds: Double = 30
    /// Bearer token for the gateway's operator endpoints (`/admin/…`: dead-letter queues); nil turns them off.
    public var adminToken: String?

    public init(databaseURL: String, amqpURL: String, objectStoreRoot: URL, masterKeyFile: URL, topologyFile: URL) {
        self.databaseURL = databaseURL
        self.amqpURL = amqpURL
        self.objectStoreRoot = objectStoreRoot
        self.masterKeyFile = masterKeyFile
        self.topologyFile = topologyFile
    }

    /// Reads `PULSE_*` variables (and `DATABASE_URL` / `AMQP_URL` as fallbacks); `--flag value` arguments override.
    /// Collects every missing setting into one error that never prints a secret.
    public init(environment: [String: String], arguments: [String] = []) throws {
        var values = environment
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument.hasPrefix("--"), index + 1 < arguments.count {
                let key = "PULSE_" + argument.dropFirst(2).uppercased().replacingOccurrences(of: "-", with: "_")
                values[key] = arguments[index + 1]
                index += 2
            } else {
                index += 1
            }
        }
        var missing: [String] = []
        func value(_ names: String...) -> String {
            for name in names { if let found = values[name], !found.isEmpty { return found } }
            missing.append(names[0])
            return ""
        }
        let database = value("PULSE_DATABASE_URL", "DATABASE_URL")
        let amqp = value("PULSE_AMQP_URL", "AMQP_URL")
        let objects = value("PULSE_OBJECT_STORE")
        let key = value("PULSE_MASTER_KEY_FILE")
        let topology = value("PULSE_TOPOLOGY")
        guard missing.isEmpty else {
            throw ConfigurationError(message: "missing configuration: \(missing.joined(separator: ", ")) (see README, 'Configuration')")
        }
        self.init(
            databaseURL: database, amqpURL: amqp, objectStoreRoot: URL(fileURLWithPath: objects),
            masterKeyFile: URL(fileURLWithPath: key), topologyFile: URL(fileURLWithPath: topology)
        )
        if let port = values["PULSE_HTTP_PORT"] {
            guard let parsed = UInt16(port) else { throw ConfigurationError(message: "PULSE_HTTP_PORT must be a port number, got '\(port)'") }
            httpPort = parsed
        }
        if let host = values["PULSE_HTTP_HOST"], !host.isEmpty { httpHost = host }
        if let prefetch = values["PULSE_PREFETCH"] {
            guard let parsed = UInt16(prefetch), parsed > 0 else {
                throw ConfigurationError(message: "PULSE_PREFETCH must be a positive integer, got '\(prefetch)'")
            }
            self.prefetch = parsed
        }
        if let consumers = values["PULSE_CONSUMERS"] {
            guard let parsed = Int(consumers), (1...64).contains(parsed) else {
                throw ConfigurationError(message: "PULSE_CONSUMERS must be an integer from 1 to 64, got '\(consumers)'")
            }
            self.consumers = parsed
        }
        if let timeout = values["PULSE_REPLY_TIMEOUT_SECONDS"] {
            guard let parsed = Double(timeout), parsed > 0 else {
                throw ConfigurationError(message: "PULSE_REPLY_TIMEOUT_SECONDS must be a positive number, got '\(timeout)'")
            }
            replyTimeoutSeconds = parsed
        }
        if let hours = values["PULSE_IDEMPOTENCY_KEY_HOURS"] {
            guard let parsed = Int(hours), (24...8_760).contains(parsed) else {
                throw ConfigurationError(message: "PULSE_IDEMPOTENCY_KEY_HOURS must be an integer from 24 to 8760, got '\(hours)'")
            }
            idempotencyKeyHours = parsed
        }
        if let seconds = values["PULSE_SCHEDULER_SECONDS"], !seconds.isEmpty {
            guard let parsed = Double(seconds), parsed.isFinite, (0...3_600).contains(parsed) else {
                throw ConfigurationError(message: "PULSE_SCHEDULER_SECONDS must be a number from 0 (off) to 3600, got '\(seconds)'")
            }
            schedulerSeconds = parsed
        }
        if let token = values["PULSE_ADMIN_TOKEN"], !token.isEmpty {
            guard token.utf8.count >= 16 else { throw ConfigurationError(message: "PULSE_ADMIN_TOKEN must be at least 16 characters") }
            adminToken = token
        }
        if let delay = values["PULSE_RETRY_DELAY_SECONDS"], !delay.isEmpty {
            guard let parsed = Int(delay), (1...86_400).contains(parsed) else {
                throw ConfigurationError(message: "PULSE_RETRY_DELAY_SECONDS must be an integer from 1 to 86400, got '\(delay)'")
            }
            retryDelayOverrideSeconds = parsed
        }
        if let keyId = values["PULSE_MASTER_KEY_ID"] { masterKeyId = keyId }
        if let prefix = values["PULSE_TOPOLOGY_PREFIX"] { topologyPrefix = prefix }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

import Dispatch
import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage

// pulse-gateway: read configuration → build the gateway → run until SIGTERM/SIGINT → map errors to exit codes.

let help = """
    pulse-gateway — the Pulse HTTP ingress (mutations → RabbitMQ, queries ← PostgreSQL).

    Configuration (environment; each also as a flag, e.g. --database-url for PULSE_DATABASE_URL):
      PULSE_DATABASE_URL           PostgreSQL URL (required; DATABASE_URL is a fallback)
      PULSE_AMQP_URL               RabbitMQ URL, amqp://user:pass@host:port/vhost (required; AMQP_URL is a fallback)
      PULSE_OBJECT_STORE           object store root directory (required)
      PULSE_MASTER_KEY_FILE        file with the 64-hex-digit master key (required)
      PULSE_MASTER_KEY_ID          id of that key (default local-1)
      PULSE_TOPOLOGY               topology file, e.g. Topology/pulse.json (required)
      PULSE_TOPOLOGY_PREFIX        prefix for every exchange and queue name (default none)
      PULSE_RETRY_DELAY_SECONDS    every retry tier's delay, overriding the topology's (tests, drills; the
                                   gateway declares the retry queues too, so it must match the workers)
      PULSE_HTTP_HOST              address to listen on (default 127.0.0.1)
      PULSE_HTTP_PORT              port to listen on (default 0 = ephemeral)
      PULSE_REPLY_TIMEOUT_SECONDS  how long a request waits for the worker before 202 (default 120)
      PULSE_LOG_LEVEL              debug | info | warning | error (default info)

    Exit codes: 0 stopped by SIGTERM/SIGINT, 78 configuration error, 69 a dependency is unavailable, 1 other.
    """

/// One JSON line on stderr, then exit.
func fail(_ message: String, _ error: any Error, code: Int32) -> Never {
    let line = CanonicalJSON.data(.object([
        "level": .string("error"), "logger": .string("pulse-gateway"), "msg": .string(message),
        "error": .string(String(describing: error)), "exit_code": .number(Double(code)), "ts": .string(Timestamp.format(Date())),
    ]))
    FileHandle.standardError.write(line + Data([0x0A]))
    exit(code)
}

func exitCode(for error: any Error) -> Int32 {
    switch error {
    case is ConfigurationError: return 78
    case let error as GatewayError: return error.code == .configuration ? 78 : error.code == .unavailable ? 69 : 1
    case let error as MessagingError:
        if error.code == .invalidTopology || error.code == .invalidURL { return 78 }
        return error.code == .connectionFailed || error.code == .loginFailed ? 69 : 1
    case let error as StorageError: return error.code == .connectionFailed ? 69 : 1
    default: return 1
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(help)
    exit(0)
}

let environment = ProcessInfo.processInfo.environment
let configuration: RuntimeConfiguration
do {
    configuration = try RuntimeConfiguration(environment: environment, arguments: arguments)
} catch {
    fail("invalid configuration", error, code: exitCode(for: error))
}

let gateway: Gateway
do {
    gateway = try Gateway(configuration: configuration)
} catch {
    fail("cannot build the gateway", error, code: exitCode(for: error))
}

// SIGTERM/SIGINT → `stop()`: requests waiting for replies answer 202, the server drains, `run()` returns.
// SignalTrap takes a @Sendable closure, so the handler is not isolated to the main actor.
let signalSources = SignalTrap { gateway.stop() }

do {
    try gateway.run()
} catch {
    fail("the gateway stopped on an error", error, code: exitCode(for: error))
}
withExtendedLifetime(signalSources) {}
exit(0)

import Foundation
import PulseContracts
import PulseCore

/// The whole `main` of a worker executable: read configuration → build the host → run → map the error to an
/// exit code. SIGTERM/SIGINT finish the message in hand, then exit 0.
public enum WorkerMain {
    public static func run(_ handler: any StageHandler, environment: [String: String], arguments: [String]) -> Never {
        let name = "pulse-\(handler.stage.rawValue)"
        if arguments.contains("--help") || arguments.contains("-h") {
            print(help(name: name, handler: handler))
            exit(0)
        }
        let logger = Logger(label: name, metadata: ["pulse.stage": handler.stage.rawValue])
        let configuration: RuntimeConfiguration
        do {
            configuration = try RuntimeConfiguration(environment: environment, arguments: arguments)
        } catch {
            logger.error("invalid configuration", ["error": "\(error)"])
            exit(78)
        }
        let host = WorkerHost(configuration: configuration, handler: handler)
        let signals = SignalTrap { host.requestStop() }
        defer { withExtendedLifetime(signals) {} }
        do {
            try host.run()
            exit(0)
        } catch {
            logger.error("worker stopped on a fatal error", ["error": "\(error)"])
            exit(Int32(ExitCode.of(error)))
        }
    }

    static func help(name: String, handler: any StageHandler) -> String {
        """
        \(name) — the Pulse \(handler.stage.rawValue) stage worker.

        Consumes its stage queue from the topology, handles: \(handler.accepts.sorted().joined(separator: ", ")).

        Configuration (environment; --flag value overrides, e.g. --http-port 18081):
          PULSE_DATABASE_URL      libpq URI of the metadata database (or DATABASE_URL)
          PULSE_AMQP_URL          RabbitMQ URI, e.g. amqp://guest:guest@127.0.0.1:5673/%2F (or AMQP_URL)
          PULSE_OBJECT_STORE      directory of the object store
          PULSE_MASTER_KEY_FILE   file with the 64-hex-digit AES-256 master key
          PULSE_TOPOLOGY          Topology/pulse.json
          PULSE_TOPOLOGY_PREFIX   prefix for every exchange and queue name (default none)
          PULSE_RETRY_DELAY_SECONDS  every retry tier's delay, overriding the topology's (tests, drills;
                                  every process of a stack must use the same value)
          PULSE_HTTP_PORT         port for /livez, /readyz, /metrics (default: none)
          PULSE_HTTP_HOST         address they listen on (default 127.0.0.1; 0.0.0.0 in a container)
          PULSE_PREFETCH          unacknowledged messages at once, per consumer (default 1)
          PULSE_CONSUMERS         consuming threads, each with its own connections (default 1)
          PULSE_SCHEDULER_SECONDS how often to look for due schedules, drift monitor only (default 30; 0 = off)
          PULSE_LOG_LEVEL         debug | info | warning | error (default info)

        Exit codes: 0 stopped on SIGTERM/SIGINT, 69 broker or database unavailable, 78 configuration, 1 other.
        """
    }
}

enum ExitCode {
    static func of(_ error: any Error) -> Int {
        switch error {
        case is ConfigurationError: 78
        default: Dispositions.of(error) == .retry ? 69 : 1
        }
    }
}

/// Turns SIGTERM and SIGINT into a callback on a dispatch queue (never inside the signal handler itself).
/// `@unchecked Sendable`: the sources are created in `init`, never mutated, and only kept alive here.
public final class SignalTrap: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    public init(_ onSignal: @escaping @Sendable () -> Void) {
        sources = [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler(handler: onSignal)
            source.resume()
            return source
        }
    }
}

import Foundation
import PulseContracts
import PulseCore
import PulseMessaging
import PulseStorage

/// The `pulse` command line: noun–verb subcommands, data on stdout, diagnostics on stderr,
/// exit codes 0 ok, 1 failure, 64 usage, 65 bad data, 69 unavailable, 78 configuration.
public enum OperatorCommands {
    public static let usage = """
        pulse — operate a Pulse deployment

        Usage:
          pulse migrate                         apply database migrations
          pulse topology apply                  declare exchanges, queues and bindings on the broker
          pulse topology export                 print a RabbitMQ definitions file (rabbitmqctl import_definitions)
          pulse dlq list STAGE [--json]         list parked messages of a stage (extractor, trainer, …)
          pulse dlq replay STAGE [--message-id ID | --all] [--dry-run]
                                                move parked messages back to the stage queue (ids kept)
          pulse dlq purge STAGE --yes           delete every parked message of a stage
          pulse send OPERATION PAYLOAD.json [--tenant T] [--idempotency-key K]
                                                publish an envelope straight to pulse.commands (a datasource's
                                                connection is sealed with PULSE_MASTER_KEY_FILE first)

        Configuration comes from PULSE_DATABASE_URL, PULSE_AMQP_URL, PULSE_OBJECT_STORE, PULSE_MASTER_KEY_FILE and
        PULSE_TOPOLOGY (see README).
        """

    public static func run(arguments: [String], environment: [String: String]) -> Int32 {
        if arguments.isEmpty || arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return arguments.isEmpty ? 64 : 0
        }
        do {
            let configuration = try RuntimeConfiguration(environment: environment)
            switch (arguments[0], arguments.dropFirst().first) {
            case ("migrate", _):
                let database = try PostgresConnection.connect(url: configuration.databaseURL, applicationName: "pulse-cli")
                defer { database.close() }
                let applied = try Migrator().apply(try Migrations.bundled(), on: database)
                printError(applied.isEmpty ? "migrations: up to date" : "migrations applied: \(applied.map(String.init).joined(separator: ", "))")
            case ("topology", "apply"):
                let topology = try RuntimeTopology.load(configuration)
                let connection = try AMQPConnection.open(try AMQPConfiguration(url: configuration.amqpURL, connectionName: "pulse-cli"))
                defer { connection.close() }
                try topology.declare(on: connection)
                printError("topology declared: \(topology.exchanges.count) exchanges, \(topology.queues.count) queues, \(topology.bindings.count) bindings")
            case ("topology", "export"):
                FileHandle.standardOutput.write(try RuntimeTopology.load(configuration).rabbitMQDefinitions())
            case ("dlq", let verb?):
                return try deadLetters(verb, Array(arguments.dropFirst(2)), configuration)
            case ("send", let operation?):
                return try send(operation, Array(arguments.dropFirst(2)), configuration)
            default:
                printError("unknown command: \(arguments.joined(separator: " "))\n\n\(usage)")
                return 64
            }
            return 0
        } catch let problem as Problem {
            printError("error: \(problem.description)")
            return 65
        } catch let error as ConfigurationError {
            printError("error: \(error.message)")
            return 78
        } catch {
            printError("error: \(error)")
            return Dispositions.of(error) == .retry ? 69 : 1
        }
    }

    private static func deadLetters(_ verb: String, _ rest: [String], _ configuration: RuntimeConfiguration) throws -> Int32 {
        guard let stage = rest.first else {
            printError("missing STAGE (one of: \(Stage.allCases.map(\.rawValue).joined(separator: ", ")))")
            return 64
        }
        let queue = try DeadLetters(configuration: configuration, stageName: stage)
        defer { queue.close() }
        switch verb {
        case "list", "show":
            let entries = try queue.list()
            if rest.contains("--json") {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                FileHandle.standardOutput.write(try encoder.encode(entries))
                print()
            } else {
                print("\(entries.count) parked message(s) in \(stage)'s dead-letter queue")
                for entry in entries {
                    print("- \(entry.messageId ?? "?")  \(entry.operation ?? "?")  attempts=\(entry.attempts.map(String.init) ?? "?")  last=\(entry.lastFailedAt ?? "?")")
                    print("    \(entry.error ?? "no reason recorded")")
                }
            }
        case "replay":
            let messageId = value(after: "--message-id", in: rest)
            guard messageId != nil || rest.contains("--all") else {
                printError("say which: --message-id ID or --all")
                return 64
            }
            if rest.contains("--dry-run") {
                let entries = try queue.list().filter { messageId == nil || $0.messageId == messageId }
                print("would replay \(entries.count) message(s)")
                return 0
            }
            let moved = try queue.replay { messageId == nil || $0.messageId == messageId }
            print("replayed \(moved) message(s) to \(stage)")
        case "purge":
            guard rest.contains("--yes") else {
                printError("purge deletes parked messages for good; add --yes to confirm")
                return 64
            }
            print("purged \(try queue.purge()) message(s)")
        default:
            printError("unknown dlq verb '\(verb)' (list, show, replay, purge)")
            return 64
        }
        return 0
    }

    private static func send(_ operation: String, _ rest: [String], _ configuration: RuntimeConfiguration) throws -> Int32 {
        guard let file = rest.first else {
            printError("missing PAYLOAD.json")
            return 64
        }
        guard let descriptor = OperationCatalog.descriptor(named: operation), descriptor.kind == .mutation else {
            throw Problem.unknownOperation(operation)
        }
        let payload = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: file)))
        let key = value(after: "--idempotency-key", in: rest)
        var envelope = Envelope(
            kind: .mutation, name: operation, version: OperationNaming.version(of: operation) ?? 1, messageId: MessageID.make(),
            timestamp: Date(), idempotencyKey: key, tenantId: value(after: "--tenant", in: rest) ?? configuration.defaultTenant, payload: payload,
            // Hashed before sealing: the worker compares it with the key's first request.
            metadata: Envelope.Metadata(requestHash: key.map { _ in IdempotentRequest.hash(name: operation, payload: payload) })
        )
        try envelope.validate()
        _ = try OperationCatalog.validate(envelope)
        if operation == Operations.registerDataSource.rawValue {
            // As the gateway does: the password never travels in clear on the broker.
            let sealer = try SecretSealer.loadKeyFile(configuration.masterKeyFile, keyId: configuration.masterKeyId)
            envelope = try TransitSealing.sealingSecrets(of: envelope, with: sealer)
        }
        let topology = try RuntimeTopology.load(configuration)
        let connection = try AMQPConnection.open(try AMQPConfiguration(url: configuration.amqpURL, connectionName: "pulse-cli"))
        defer { connection.close() }
        let publisher = try Publisher(connection: connection)
        try publisher.publish(
            exchange: topology.commandExchange, routingKey: operation, body: envelope.encoded(),
            properties: MessageProperties.forEnvelope(envelope, messageId: envelope.messageId)
        )
        print(envelope.messageId)
        return 0
    }

    private static func value(after flag: String, in arguments: [String]) -> String? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    private static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

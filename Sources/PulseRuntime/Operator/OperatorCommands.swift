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
          pulse dlq list STAGE [FILTER] [--json]
                                                list parked messages of a stage (extractor, trainer, …): why,
                                                how often, when first and last, parked by the worker or the broker
          pulse dlq show STAGE MESSAGE_ID [--json]
                                                one parked message with its envelope (passwords masked)
          pulse dlq replay STAGE (FILTER | --all) [--dry-run]
                                                move parked messages back to the stage queue; message ids are
                                                kept, so idempotency still holds
          pulse dlq purge STAGE --yes           delete every parked message of a stage
            FILTER: --message-id ID (repeatable) --operation NAME --tenant T --error-contains TEXT
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
        guard let stage = rest.first, Stage(rawValue: stage) != nil else {
            let known = Stage.allCases.map(\.rawValue).joined(separator: ", ")
            printError(rest.first.map { "unknown stage '\($0)' (one of: \(known))" } ?? "missing STAGE (one of: \(known))")
            return 64
        }
        let queue = try DeadLetters(configuration: configuration, stageName: stage)
        defer { queue.close() }
        let json = rest.contains("--json")
        switch verb {
        case "list":
            let entries = try queue.list(try filter(from: rest))
            if json { return try printJSON(entries) }
            print("\(entries.count) parked message(s) in \(stage)'s dead-letter queue")
            for entry in entries { print(describe(entry)) }
        case "show":
            guard rest.count > 1, !rest[1].hasPrefix("--") else {
                printError("usage: pulse dlq show STAGE MESSAGE_ID [--json]")
                return 64
            }
            guard let (entry, envelope) = try queue.show(messageId: rest[1]) else {
                printError("no parked message \(rest[1]) in \(stage)'s dead-letter queue")
                return 1
            }
            if json { return try printJSON(ShownEntry(entry: entry, envelope: envelope)) }
            print(describe(entry))
            print(String(decoding: try prettyJSON(envelope ?? .null), as: UTF8.self))
        case "replay":
            let filter = try filter(from: rest)
            guard filter.isRestricted || rest.contains("--all") else {
                printError("say which: --message-id ID (repeatable), --operation NAME, --tenant T, --error-contains TEXT, or --all")
                return 64
            }
            if rest.contains("--dry-run") {
                let entries = try queue.list(filter)
                print("would replay \(entries.count) message(s)")
                for entry in entries { print(describe(entry)) }
                return 0
            }
            print("replayed \(try queue.replay(filter)) message(s) to \(stage) (message ids kept)")
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

    /// `--message-id` (repeatable), `--operation`, `--tenant`, `--error-contains`.
    private static func filter(from arguments: [String]) throws -> DeadLetters.Filter {
        let ids = arguments.indices.filter { arguments[$0] == "--message-id" }.compactMap { index in
            index + 1 < arguments.count ? arguments[index + 1] : nil
        }
        return DeadLetters.Filter(
            messageIds: ids.isEmpty ? nil : Set(ids), operation: value(after: "--operation", in: arguments),
            tenant: value(after: "--tenant", in: arguments), errorContains: value(after: "--error-contains", in: arguments)
        )
    }

    private static func describe(_ entry: DeadLetters.Entry) -> String {
        """
        - \(entry.messageId ?? "?")  \(entry.operation ?? "?")  tenant=\(entry.tenant ?? "?")  parked by \(entry.parkedBy)  \
        attempts=\(entry.attempts.map(String.init) ?? "?")  first=\(entry.firstFailedAt ?? "?")  last=\(entry.lastFailedAt ?? "?")\
        \(entry.replays > 0 ? "  replays=\(entry.replays)" : "")
            \(entry.error ?? "no reason recorded")
        """
    }

    private struct ShownEntry: Encodable {
        let entry: DeadLetters.Entry
        let envelope: JSONValue?
    }

    private static func printJSON(_ value: some Encodable) throws -> Int32 {
        FileHandle.standardOutput.write(try prettyJSON(value))
        print()
        return 0
    }

    /// For people reading a terminal (the wire format stays compact, through `JSONCodec`).
    private static func prettyJSON(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
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

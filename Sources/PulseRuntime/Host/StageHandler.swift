import Foundation
import PulseContracts
import PulseStorage

/// Business logic of one stage: takes a typed envelope and a context, returns what changed and which events
/// follow. It never sees a socket, a queue name or the environment, so a test calls it directly.
public protocol StageHandler: Sendable {
    var stage: Stage { get }
    /// The operation and event names this handler accepts.
    var accepts: Set<String> { get }

    /// Does the work. Long work (reading a source, training) happens here, outside any transaction; the returned
    /// outcome's `commit` writes the new state inside the host's transaction together with outbox and inbox rows.
    /// Throw a `Problem` for bad input (nothing is written); throw anything else to let its disposition decide.
    func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome

    /// Called inside a transaction when the host gives a message up (last retry spent, or an unexpected error):
    /// mark the job failed with the reason and return the failure events to emit.
    func recordFailure(_ envelope: Envelope, reason: String, context: StageContext) throws -> [OutgoingEvent]
}

extension StageHandler {
    public func recordFailure(_ envelope: Envelope, reason: String, context: StageContext) throws -> [OutgoingEvent] { [] }
}

/// What a handler hands the host.
public struct StageOutcome {
    public var reply: Reply
    public var events: [OutgoingEvent]
    /// Writes the state change; runs inside the host's transaction.
    public var commit: (PostgresConnection) throws -> Void

    public init(reply: Reply, events: [OutgoingEvent] = [], commit: @escaping (PostgresConnection) throws -> Void = { _ in }) {
        self.reply = reply
        self.events = events
        self.commit = commit
    }

    public init(body: some Encodable, events: [OutgoingEvent] = [], commit: @escaping (PostgresConnection) throws -> Void = { _ in }) throws {
        self.init(reply: Reply(body: try JSONValue.encode(body)), events: events, commit: commit)
    }

    /// For a decision that must be taken inside the transaction, on state read under a lock there (the promoter
    /// re-reads the production model under a per-name lock): `settle` writes the change and returns the reply and
    /// events, which replace the outcome's own.
    public init(settle: @escaping (PostgresConnection) throws -> Settlement) {
        self.init(reply: Reply(body: .null))
        self.settle = settle
    }

    /// What a settling commit decided.
    public struct Settlement {
        public var reply: Reply
        public var events: [OutgoingEvent]
        public init(reply: Reply, events: [OutgoingEvent] = []) {
            self.reply = reply
            self.events = events
        }
        public init(body: some Encodable, status: Int = 200, events: [OutgoingEvent] = []) throws {
            self.init(reply: Reply(status: status, body: try JSONValue.encode(body)), events: events)
        }
    }

    /// Runs after `commit`, in the same transaction; see `init(settle:)`.
    public var settle: ((PostgresConnection) throws -> Settlement)?

    /// An event this stage reacts to only in some cases (e.g. only within a retraining run).
    public static func ignored(_ why: String) -> StageOutcome {
        StageOutcome(reply: Reply(body: .object(["ignored": .string(why)])))
    }
}

/// An event to publish on `pulse.events` once the transaction commits.
public struct OutgoingEvent: Sendable {
    public let name: String
    public let payload: JSONValue

    public init<Body>(_ operation: OperationName<Body>, _ payload: Body) throws {
        name = operation.rawValue
        self.payload = try JSONValue.encode(payload)
    }
}

/// What a handler may use: the database (outside a transaction), the object store, the secret sealer.
public struct StageContext {
    public let database: PostgresConnection
    public let objects: any ObjectStore
    public let sealer: SecretSealer
    /// 0 on the first delivery, then 1, 2, … through the retry tiers.
    public let attempt: Int
    public let logger: Logger

    public init(database: PostgresConnection, objects: any ObjectStore, sealer: SecretSealer, attempt: Int, logger: Logger) {
        self.database = database
        self.objects = objects
        self.sealer = sealer
        self.attempt = attempt
        self.logger = logger
    }
}

/// Work a stage does on a timer besides consuming (the drift monitor's schedules). The worker runs it on a
/// consuming thread with that thread's database connection every `PULSE_SCHEDULER_SECONDS`; what it sends goes
/// through the outbox, so it is published once the claim commits.
protocol PeriodicWork {
    /// Queues what is due, in one transaction; returns how many messages it queued.
    func runDue(on database: PostgresConnection, outbox: Outbox, commandExchange: String) throws -> Int
}

import Foundation

/// The AMQP topology as data (loaded from `Topology/pulse.json`, the single source of truth):
/// exchanges, queues with their arguments, bindings, and per stage its queue, retry tiers and DLQ.
public struct Topology: Codable, Sendable, Equatable {
    /// The topic exchange commands (mutations) are published to, routing key = operation name.
    public var commandExchange: String
    /// The topic exchange events are published to, routing key = event name.
    public var eventExchange: String
    public var exchanges: [Exchange]
    public var queues: [Queue]
    public var bindings: [Binding]
    public var stages: [Stage]

    public struct Exchange: Codable, Sendable, Equatable {
        public var name: String
        /// "topic", "direct" or "fanout".
        public var type: String
        public var durable: Bool

        public init(name: String, type: String, durable: Bool = true) {
            self.name = name
            self.type = type
            self.durable = durable
        }
    }

    public struct Queue: Codable, Sendable, Equatable {
        public var name: String
        public var durable: Bool
        /// `x-` arguments, e.g. `x-queue-type`, `x-delivery-limit`, `x-message-ttl`.
        public var arguments: [String: ArgumentValue]

        public init(name: String, durable: Bool = true, arguments: [String: ArgumentValue] = [:]) {
            self.name = name
            self.durable = durable
            self.arguments = arguments
        }
    }

    /// A queue argument value: a string or an integer (written as such in JSON).
    public enum ArgumentValue: Codable, Sendable, Equatable {
        case string(String)
        case int(Int64)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let int = try? container.decode(Int64.self) {
                self = .int(int)
            } else {
                self = .string(try container.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let string): try container.encode(string)
            case .int(let int): try container.encode(int)
            }
        }
    }

    public struct Binding: Codable, Sendable, Equatable {
        public var exchange: String
        public var queue: String
        public var routingKey: String

        public init(exchange: String, queue: String, routingKey: String) {
            self.exchange = exchange
            self.queue = queue
            self.routingKey = routingKey
        }
    }

    /// A retry tier: a classic queue whose TTL dead-letters messages back to the stage's own queue.
    public struct RetryTier: Codable, Sendable, Equatable {
        public var queue: String
        public var delaySeconds: Int

        public init(queue: String, delaySeconds: Int) {
            self.queue = queue
            self.delaySeconds = delaySeconds
        }
    }

    /// One pipeline stage (one worker executable): the queue it consumes and where its failures go.
    public struct Stage: Codable, Sendable, Equatable {
        /// e.g. "extractor".
        public var name: String
        /// e.g. "pulse.extractor".
        public var queue: String
        /// Shortest delay first.
        public var retryQueues: [RetryTier]
        public var deadLetterQueue: String
        /// Operation names bound on the command exchange.
        public var commands: [String]
        /// Event names bound on the event exchange.
        public var events: [String]

        public init(name: String, queue: String, retryQueues: [RetryTier], deadLetterQueue: String,
                    commands: [String], events: [String]) {
            self.name = name
            self.queue = queue
            self.retryQueues = retryQueues
            self.deadLetterQueue = deadLetterQueue
            self.commands = commands
            self.events = events
        }

        /// The tier for the retry after failed attempt `attempt` (1-based); nil once the tiers are exhausted.
        public func retryTier(afterAttempt attempt: Int) -> RetryTier? {
            retryQueues.indices.contains(attempt - 1) ? retryQueues[attempt - 1] : nil
        }
    }

    public init(commandExchange: String, eventExchange: String, exchanges: [Exchange], queues: [Queue],
                bindings: [Binding], stages: [Stage]) {
        self.commandExchange = commandExchange
        self.eventExchange = eventExchange
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
        self.stages = stages
    }

    /// Reads and validates a topology file.
    public static func load(from url: URL) throws -> Topology {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MessagingError(.invalidTopology, "cannot read the topology file \(url.path)",
                                 underlying: String(describing: error))
        }
        let topology: Topology
        do {
            topology = try JSONDecoder().decode(Topology.self, from: data)
        } catch {
            throw MessagingError(.invalidTopology, "the topology file \(url.path) is not valid",
                                 underlying: String(describing: error))
        }
        try topology.validate()
        return topology
    }

    /// The stage called `name` (e.g. "trainer").
    public func stage(named name: String) throws -> Stage {
        guard let stage = stages.first(where: { $0.name == name }) else {
            throw MessagingError(.invalidTopology, "the topology has no stage named '\(name)'")
        }
        return stage
    }

    /// Checks that every name the stages and bindings use is declared, and that each stage's commands and
    /// events are bound to its queue. Throws `.invalidTopology` listing every problem.
    public func validate() throws {
        var problems: [String] = []
        let exchangeNames = Set(exchanges.map(\.name))
        let queueNames = Set(queues.map(\.name))
        for name in [commandExchange, eventExchange] where !exchangeNames.contains(name) {
            problems.append("exchange '\(name)' is not declared")
        }
        for binding in bindings {
            if !exchangeNames.contains(binding.exchange) { problems.append("binding uses undeclared exchange '\(binding.exchange)'") }
            if !queueNames.contains(binding.queue) { problems.append("binding uses undeclared queue '\(binding.queue)'") }
        }
        let bound = Set(bindings.map { "\($0.exchange) \($0.queue) \($0.routingKey)" })
        for stage in stages {
            for name in [stage.queue, stage.deadLetterQueue] + stage.retryQueues.map(\.queue) where !queueNames.contains(name) {
                problems.append("stage '\(stage.name)' uses undeclared queue '\(name)'")
            }
            for command in stage.commands where !bound.contains("\(commandExchange) \(stage.queue) \(command)") {
                problems.append("stage '\(stage.name)' command '\(command)' is not bound")
            }
            for event in stage.events where !bound.contains("\(eventExchange) \(stage.queue) \(event)") {
                problems.append("stage '\(stage.name)' event '\(event)' is not bound")
            }
        }
        if Set(stages.map(\.name)).count != stages.count { problems.append("stage names are not unique") }
        if !problems.isEmpty {
            throw MessagingError(.invalidTopology, "the topology is inconsistent: " + problems.joined(separator: "; "))
        }
    }

    /// The same topology with "<prefix>." in front of every exchange and queue name, including the
    /// `x-dead-letter-exchange` argument (when not the default exchange "") and `x-dead-letter-routing-key`
    /// (when it names a queue, i.e. the dead-letter exchange is ""). Routing keys are unchanged.
    /// Lets tests (or tenants of one broker) run isolated side by side.
    public func prefixed(_ prefix: String) -> Topology {
        func p(_ name: String) -> String { "\(prefix).\(name)" }
        var copy = self
        copy.commandExchange = p(commandExchange)
        copy.eventExchange = p(eventExchange)
        copy.exchanges = exchanges.map { var e = $0; e.name = p(e.name); return e }
        copy.queues = queues.map { queue in
            var q = queue
            q.name = p(q.name)
            let exchange = q.arguments["x-dead-letter-exchange"]
            if case .string(let name)? = exchange, !name.isEmpty {
                q.arguments["x-dead-letter-exchange"] = .string(p(name))
            } else if exchange != nil, case .string(let key)? = q.arguments["x-dead-letter-routing-key"] {
                q.arguments["x-dead-letter-routing-key"] = .string(p(key))
            }
            return q
        }
        copy.bindings = bindings.map { Binding(exchange: p($0.exchange), queue: p($0.queue), routingKey: $0.routingKey) }
        copy.stages = stages.map { stage in
            var s = stage
            s.queue = p(s.queue)
            s.deadLetterQueue = p(s.deadLetterQueue)
            s.retryQueues = s.retryQueues.map { RetryTier(queue: p($0.queue), delaySeconds: $0.delaySeconds) }
            return s
        }
        return copy
    }

    /// The same topology with every retry tier's delay (and its queue's `x-message-ttl`) set to `seconds` (for tests).
    public func withRetryDelays(seconds: Int) -> Topology {
        var copy = self
        let retryQueues = Set(stages.flatMap { $0.retryQueues.map(\.queue) })
        copy.stages = stages.map { stage in
            var s = stage
            s.retryQueues = s.retryQueues.map { RetryTier(queue: $0.queue, delaySeconds: seconds) }
            return s
        }
        copy.queues = queues.map { queue in
            guard retryQueues.contains(queue.name) else { return queue }
            var q = queue
            q.arguments["x-message-ttl"] = .int(Int64(seconds) * 1000)
            return q
        }
        return copy
    }
}

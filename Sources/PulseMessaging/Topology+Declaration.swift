import Foundation

extension Topology {
    /// Declares every exchange, queue and binding. Idempotent: declaring the same topology again changes nothing
    /// (a queue that exists with different arguments makes the broker close the channel: `.channelClosed`).
    public func declare(on connection: AMQPConnection) throws {
        for exchange in exchanges {
            try connection.declareExchange(name: exchange.name, type: exchange.type, durable: exchange.durable)
        }
        for queue in queues {
            try connection.declareQueue(name: queue.name, durable: queue.durable, exclusive: false, autoDelete: false,
                                        arguments: queue.fieldTable)
        }
        for binding in bindings {
            try connection.bind(queue: binding.queue, exchange: binding.exchange, routingKey: binding.routingKey)
        }
    }

    /// Deletes every queue and exchange of this topology, messages included. For tests and teardown of a
    /// prefixed copy; never run it against the production topology.
    public func delete(on connection: AMQPConnection) throws {
        for queue in queues { try connection.deleteQueue(queue.name) }
        for exchange in exchanges { try connection.deleteExchange(exchange.name) }
    }

    /// A RabbitMQ definitions file (exchanges, queues, bindings on vhost "/") for `rabbitmqctl import_definitions`
    /// or the management API's `POST /api/definitions`.
    public func rabbitMQDefinitions() throws -> Data {
        let vhost = "/"
        func arguments(_ values: [String: ArgumentValue]) -> [String: Any] {
            values.mapValues { value -> Any in
                switch value {
                case .string(let string): string
                case .int(let int): int
                }
            }
        }
        let definitions: [String: Any] = [
            "exchanges": exchanges.map { exchange -> [String: Any] in
                ["name": exchange.name, "vhost": vhost, "type": exchange.type, "durable": exchange.durable,
                 "auto_delete": false, "internal": false, "arguments": [String: Any]()]
            },
            "queues": queues.map { queue -> [String: Any] in
                ["name": queue.name, "vhost": vhost, "durable": queue.durable, "auto_delete": false,
                 "arguments": arguments(queue.arguments)]
            },
            "bindings": bindings.map { binding -> [String: Any] in
                ["source": binding.exchange, "vhost": vhost, "destination": binding.queue, "destination_type": "queue",
                 "routing_key": binding.routingKey, "arguments": [String: Any]()]
            },
        ]
        do {
            return try JSONSerialization.data(withJSONObject: definitions, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw MessagingError(.invalidTopology, "cannot encode the RabbitMQ definitions", underlying: String(describing: error))
        }
    }
}

extension Topology.Queue {
    /// The arguments as an AMQP field table, in a stable order.
    var fieldTable: [(String, AMQPFieldValue)] {
        arguments.sorted { $0.key < $1.key }.map { key, value in
            switch value {
            case .string(let string): (key, .string(string))
            case .int(let int): (key, .int(int))
            }
        }
    }
}

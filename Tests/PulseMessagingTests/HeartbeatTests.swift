import Foundation
import Testing
import PulseMessaging

/// rabbitmq-c sends heartbeats only from inside its calls: a polling consumer stays alive; an idle publisher's
/// connection is dropped by the broker and the publisher reconnects on its next publish.
@Suite(.enabled(if: BrokerFixture.isAvailable))
struct HeartbeatTests {
    /// The fixture's configuration with a 1 s heartbeat: the broker drops a silent client after about 2 s.
    private func fastHeartbeat(_ broker: BrokerFixture) -> AMQPConfiguration {
        var configuration = broker.configuration
        configuration.heartbeatSeconds = 1
        return configuration
    }

    @Test func pollingConsumerKeepsItsConnectionAlive() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let queue = try broker.topology.stage(named: "scorer").queue
        let consumer = try Consumer(connection: AMQPConnection.open(fastHeartbeat(broker)), queue: queue, prefetch: 1)
        defer { consumer.close() }
        let idleUntil = Date().addingTimeInterval(4)
        while Date() < idleUntil {
            #expect(try consumer.next(timeout: 0.5) == nil)
        }
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        #expect(consumer.isOpen)
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.prediction.run.v1",
                              body: Data("late".utf8), properties: MessageProperties(messageId: "h-1"))
        let delivery = try #require(try consumer.next(timeout: 10))
        #expect(delivery.properties.messageId == "h-1")
        try consumer.ack(delivery)
    }

    @Test func idlePublisherReconnectsTransparently() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let publisher = try Publisher(connection: AMQPConnection.open(fastHeartbeat(broker)))
        defer { publisher.close() }
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.prediction.run.v1",
                              body: Data(), properties: MessageProperties(messageId: "before"))
        // The scenario itself: stay silent well past two heartbeat intervals so the broker closes the connection.
        Thread.sleep(forTimeInterval: 4)
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.prediction.run.v1",
                              body: Data(), properties: MessageProperties(messageId: "after"))
        #expect(publisher.reconnects == 1)
        let queue = try broker.topology.stage(named: "scorer").queue
        #expect(try broker.eventually { try broker.admin.messageCount(queue: queue) == 2 })
    }
}

import Foundation
import Testing
import PulseMessaging

/// Against the real RabbitMQ of `PULSE_TEST_AMQP_URL`; each test declares its own prefixed topology.
@Suite(.enabled(if: BrokerFixture.isAvailable))
struct BrokerTests {
    @Test func declaringTheTopologyTwiceWorks() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        try broker.topology.declare(on: broker.admin)
        for queue in broker.topology.queues {
            #expect(try broker.admin.messageCount(queue: queue.name) == 0)
        }
    }

    @Test func aCommandLandsInItsStageQueueOnly() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.training.start.v1",
                              body: Data(#"{"n":1}"#.utf8), properties: MessageProperties(messageId: "m-1"))
        let trainer = try broker.topology.stage(named: "trainer").queue
        #expect(try broker.eventually { try broker.admin.messageCount(queue: trainer) == 1 })
        for queue in broker.topology.queues where queue.name != trainer {
            #expect(try broker.admin.messageCount(queue: queue.name) == 0, "\(queue.name)")
        }
    }

    @Test func publishConsumeAck() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let stage = try broker.topology.stage(named: "evaluator")
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        let consumer = try broker.makeConsumer(queue: stage.queue)
        defer { consumer.close() }
        #expect(try consumer.next(timeout: 0.1) == nil)
        for index in 1...3 {
            try publisher.publish(exchange: broker.topology.eventExchange, routingKey: "pulse.training.completed.v1",
                                  body: Data("body-\(index)".utf8), properties: MessageProperties(messageId: "e-\(index)"))
        }
        for index in 1...3 {
            let delivery = try #require(try consumer.next(timeout: 10))
            #expect(delivery.body == Data("body-\(index)".utf8))
            #expect(delivery.properties.messageId == "e-\(index)")
            #expect(delivery.exchange == broker.topology.eventExchange)
            #expect(delivery.routingKey == "pulse.training.completed.v1")
            #expect(!delivery.redelivered)
            #expect(delivery.deliveryCount == 0)
            try consumer.ack(delivery)
        }
        #expect(try consumer.next(timeout: 0.2) == nil)
        consumer.close()
        // Acked messages are gone: nothing comes back once the consumer's connection is closed.
        #expect(try broker.admin.messageCount(queue: stage.queue) == 0)
    }

    @Test func unroutableMandatoryPublishThrows() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        let error = try #require(throws: MessagingError.self) {
            try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.nothing.here.v1",
                                  body: Data("x".utf8), properties: MessageProperties(messageId: "u-1"))
        }
        #expect(error.code == .unroutable)
        #expect(error.disposition == .deadLetter)
        // Not mandatory: the broker drops it silently and confirms.
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.nothing.here.v1",
                              body: Data("x".utf8), properties: MessageProperties(), mandatory: false)
        // The publisher is still usable afterwards.
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.prediction.run.v1",
                              body: Data("y".utf8), properties: MessageProperties(messageId: "u-2"))
        let scorer = try broker.topology.stage(named: "scorer").queue
        #expect(try broker.waitForMessage(on: scorer)?.properties.messageId == "u-2")
    }

    @Test func publishingToAMissingExchangeIsAChannelErrorAndThePublisherRecovers() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        let error = try #require(throws: MessagingError.self) {
            try publisher.publish(exchange: "\(broker.prefix).no-such-exchange", routingKey: "k",
                                  body: Data(), properties: MessageProperties())
        }
        #expect(error.code == .channelClosed)
        #expect(error.underlying?.contains("404") == true)
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.prediction.run.v1",
                              body: Data("after".utf8), properties: MessageProperties(messageId: "r-1"))
    }

    @Test func rejectedMessageLandsInTheDLQ() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let stage = try broker.topology.stage(named: "trainer")
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.training.start.v1",
                              body: Data("poison".utf8), properties: MessageProperties(messageId: "d-1"))
        let consumer = try broker.makeConsumer(queue: stage.queue)
        defer { consumer.close() }
        let delivery = try #require(try consumer.next(timeout: 10))
        try consumer.reject(delivery, requeue: false)
        let dead = try #require(try broker.waitForMessage(on: stage.deadLetterQueue))
        #expect(dead.properties.messageId == "d-1")
        #expect(dead.body == Data("poison".utf8))
        #expect(dead.deathCount == 1)
        #expect(dead.properties.headers["x-first-death-reason"] == .string("rejected"))
        try broker.admin.ack(dead.deliveryTag)
        #expect(try broker.admin.messageCount(queue: stage.queue) == 0)
    }

    @Test func crashLoopingMessageIsDeadLetteredAfterTheDeliveryLimit() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let stage = try broker.topology.stage(named: "promoter")
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.model.promote.v1",
                              body: Data("loop".utf8), properties: MessageProperties(messageId: "l-1"))
        // x-delivery-limit 5: the first delivery plus 5 redeliveries, then the broker dead-letters it.
        var counts: [Int] = []
        while let delivery = try broker.waitForMessage(on: stage.queue, within: 2) {
            counts.append(delivery.deliveryCount)
            #expect(delivery.redelivered == (delivery.deliveryCount > 0))
            try broker.admin.reject(delivery.deliveryTag, requeue: true)
            #expect(counts.count <= 6)
            if counts.count > 6 { break }
        }
        #expect(counts == [0, 1, 2, 3, 4, 5])
        let dead = try #require(try broker.waitForMessage(on: stage.deadLetterQueue))
        #expect(dead.properties.messageId == "l-1")
        #expect(dead.properties.headers["x-first-death-reason"] == .string("delivery_limit"))
    }

    @Test func retryTierReturnsTheMessageToTheStageQueueAfterItsTTL() throws {
        let broker = try BrokerFixture(retryDelaySeconds: 1)
        defer { broker.tearDown() }
        let stage = try broker.topology.stage(named: "extractor")
        let tier = try #require(stage.retryQueues.first)
        #expect(tier.delaySeconds == 1)
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        let consumer = try broker.makeConsumer(queue: stage.queue)
        defer { consumer.close() }
        let sent = Date()
        try publisher.publish(exchange: "", routingKey: tier.queue, body: Data("again".utf8),
                              properties: MessageProperties(messageId: "t-1", headers: ["pulse-attempt": .int(2)]))
        let delivery = try #require(try consumer.next(timeout: 15))
        #expect(Date().timeIntervalSince(sent) >= 0.9)
        #expect(delivery.properties.messageId == "t-1")
        #expect(delivery.properties.headers["pulse-attempt"] == .int(2))
        #expect(delivery.properties.headers["x-first-death-reason"] == .string("expired"))
        #expect(delivery.properties.headers["x-first-death-queue"] == .string(tier.queue))
        #expect(delivery.deathCount == 1)
        try consumer.ack(delivery)
    }

    @Test func propertiesAndHeadersRoundTrip() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let stage = try broker.topology.stage(named: "snapshotter")
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        let timestamp = Date(timeIntervalSince1970: 1_700_000_000)
        let sent = MessageProperties(
            messageId: "msg-01", correlationId: "corr-01", replyTo: "amq.gen-reply", type: "pulse.dataset.snapshot.create.v1",
            timestamp: timestamp,
            headers: ["tenant-id": .string("tenant-a"), "pulse-attempt": .int(3), "big": .int(Int64.max),
                      "negative": .int(-42), "replay": .bool(true),
                      "traceparent": .string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")])
        try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.dataset.snapshot.create.v1",
                              body: Data(#"{"ü":"✓"}"#.utf8), properties: sent)
        let consumer = try broker.makeConsumer(queue: stage.queue)
        defer { consumer.close() }
        let delivery = try #require(try consumer.next(timeout: 10))
        #expect(delivery.body == Data(#"{"ü":"✓"}"#.utf8))
        var received = delivery.properties
        #expect(received.timestamp == timestamp)
        #expect(received.persistent)
        #expect(received.contentType == "application/json")
        received.headers = received.headers.filter { !$0.key.hasPrefix("x-") }
        #expect(received == sent)
        try consumer.ack(delivery)
    }

    @Test func replyQueueReceivesDirectReplies() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let replyQueue = try broker.admin.declareReplyQueue()
        #expect(replyQueue.hasPrefix("amq.gen-"))
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        try publisher.publish(exchange: "", routingKey: replyQueue, body: Data("answer".utf8),
                              properties: MessageProperties(correlationId: "c-9", persistent: false))
        let reply = try #require(try broker.waitForMessage(on: replyQueue))
        #expect(reply.properties.correlationId == "c-9")
        #expect(reply.body == Data("answer".utf8))
        #expect(!reply.properties.persistent)
        try broker.admin.ack(reply.deliveryTag)

        // A per-instance broadcast queue bound to an event, as scorers do for model promotions.
        try broker.admin.bind(queue: replyQueue, exchange: broker.topology.eventExchange, routingKey: "pulse.model.promoted.v1")
        try publisher.publish(exchange: broker.topology.eventExchange, routingKey: "pulse.model.promoted.v1",
                              body: Data("promoted".utf8), properties: MessageProperties(messageId: "p-1"))
        #expect(try broker.waitForMessage(on: replyQueue)?.properties.messageId == "p-1")
        // The drift monitor's queue got its own copy.
        let drift = try broker.topology.stage(named: "drift-monitor").queue
        #expect(try broker.eventually { try broker.admin.messageCount(queue: drift) == 1 })
    }

    @Test func purgeAndMissingQueue() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let publisher = try broker.makePublisher()
        defer { publisher.close() }
        for _ in 0..<4 {
            try publisher.publish(exchange: broker.topology.commandExchange, routingKey: "pulse.prediction.run.v1",
                                  body: Data(), properties: MessageProperties())
        }
        let scorer = try broker.topology.stage(named: "scorer").queue
        #expect(try broker.eventually { try broker.admin.messageCount(queue: scorer) == 4 })
        #expect(try broker.admin.purge(queue: scorer) == 4)
        let error = try #require(throws: MessagingError.self) {
            try broker.admin.messageCount(queue: "\(broker.prefix).missing")
        }
        #expect(error.code == .channelClosed)
        // The connection stays usable after the channel error.
        #expect(try broker.admin.messageCount(queue: scorer) == 0)
    }

    @Test func consumerReportsItsQueueBeingDeleted() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let queue = try broker.topology.stage(named: "scorer").queue
        let consumer = try broker.makeConsumer(queue: queue)
        defer { consumer.close() }
        try broker.topology.delete(on: broker.admin)
        let error = try #require(throws: MessagingError.self) { try consumer.next(timeout: 10) }
        #expect(error.code == .channelClosed)
    }

    @Test func definitionsContainEveryDeclaredQueue() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let object = try #require(try JSONSerialization.jsonObject(with: broker.topology.rabbitMQDefinitions()) as? [String: Any])
        let names = try #require(object["queues"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(Set(names) == Set(broker.topology.queues.map(\.name)))
        for name in names { #expect(try broker.admin.messageCount(queue: name) == 0) }
    }
}

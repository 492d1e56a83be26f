import Foundation
import Testing
import PulseMessaging

/// A Python `pika` producer (what users reach for) publishes straight to the command exchange;
/// our Consumer must receive it with its properties intact. CI installs pika; this test requires it.
@Suite(.enabled(if: BrokerFixture.isAvailable))
struct PikaInteropTests {
    static let script = """
        import sys, pika
        url, exchange, routing_key, message_id = sys.argv[1:5]
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(exchange=exchange, routing_key=routing_key, body=b'{"from":"pika"}', mandatory=True,
            properties=pika.BasicProperties(message_id=message_id, content_type="application/json", delivery_mode=2,
                                            type=routing_key, headers={"tenant-id": "t-py", "pulse-attempt": 1}))
        connection.close()
        """

    @Test func pikaPublisherReachesOurConsumer() throws {
        let broker = try BrokerFixture()
        defer { broker.tearDown() }
        let stage = try broker.topology.stage(named: "trainer")
        let consumer = try broker.makeConsumer(queue: stage.queue)
        defer { consumer.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, try #require(BrokerFixture.url), broker.topology.commandExchange,
                             "pulse.training.start.v1", "msg-from-pika"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python3/pika failed: \(String(decoding: stderr, as: UTF8.self))")

        let delivery = try #require(try consumer.next(timeout: 15))
        #expect(delivery.properties.messageId == "msg-from-pika")
        #expect(delivery.properties.type == "pulse.training.start.v1")
        #expect(delivery.properties.contentType == "application/json")
        #expect(delivery.properties.persistent)
        #expect(delivery.properties.headers["tenant-id"] == .string("t-py"))
        #expect(delivery.properties.headers["pulse-attempt"] == .int(1))
        #expect(delivery.body == Data(#"{"from":"pika"}"#.utf8))
        #expect(delivery.routingKey == "pulse.training.start.v1")
        try consumer.ack(delivery)
    }
}

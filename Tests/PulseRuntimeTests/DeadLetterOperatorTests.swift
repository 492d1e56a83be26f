import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import Testing

/// Operators and dead letters, on the real broker: a message that kills its worker every time is parked by the
/// broker's delivery limit (not looped), a parked message says why, how often and when, and the gateway's
/// `/admin/dlq` endpoints list, show, replay (message id kept) and purge — behind the operator's token.
@Suite("Dead letters for operators", .enabled(if: GatewayServices.available))
struct DeadLetterOperatorTests {
    static let token = "operator-token-\(UInt64.random(in: 0...UInt64.max))"
    var auth: [String: String] { ["Authorization": "Bearer \(Self.token)"] }

    private static func envelope(_ name: String, payload: String, tenant: String) throws -> Envelope {
        Envelope(
            kind: .mutation, name: name, version: 1, messageId: MessageID.make(), timestamp: Date(), tenantId: tenant,
            payload: try JSONValue.parse(Data(payload.utf8))
        )
    }

    private static func publish(_ envelope: Envelope, to exchange: String, with publisher: Publisher) throws {
        try publisher.publish(
            exchange: exchange, routingKey: envelope.name, body: envelope.encoded(),
            properties: MessageProperties(messageId: envelope.messageId, type: envelope.name, timestamp: Date(), persistent: true,
                                          headers: ["pulse-tenant": .string(envelope.tenantId)])
        )
    }

    /// The worker "dies" holding the message: its connection closes without an ack, as after kill -9. The
    /// topology's `x-delivery-limit` is 5, so the broker delivers it 6 times (delivery counts 0…5) and then parks it.
    @Test func aMessageThatKillsItsWorkerEveryTimeIsParkedByTheBroker() throws {
        let fixture = try GatewayFixture(adminToken: Self.token)
        defer { fixture.close() }
        let stage = try fixture.topology.stage(named: Stage.trainer.rawValue)
        let producer = try fixture.openBroker()
        let publisher = try Publisher(connection: producer)
        defer { publisher.close() }
        let poison = try Self.envelope(
            "pulse.training.start.v1", payload: #"{"datasetId":"dst_0000000000000000000000000000","datasetVersion":1,"modelName":"m","target":"y"}"#,
            tenant: "acme"
        )
        try Self.publish(poison, to: fixture.topology.commandExchange, with: publisher)

        var deliveries = 0
        while deliveries < 10 {
            let worker = try fixture.openBroker()
            // Back in the stage queue for another try, or parked.
            let delivery = try EndToEnd.poll(seconds: 10) { () -> Delivery?? in
                if let delivery = try worker.get(queue: stage.queue) { return .some(delivery) }
                return try producer.messageCount(queue: stage.deadLetterQueue) > 0 ? .some(nil) : nil
            }
            guard let delivery else {
                worker.close()
                break
            }
            #expect(delivery.properties.messageId == poison.messageId)
            #expect(delivery.deliveryCount == deliveries)
            deliveries += 1
            worker.close()   // dies without an ack
        }
        #expect(deliveries == 6)

        let listed = try EndToEnd.poll(seconds: 10) { () -> [[String: Any]]? in
            let response = try fixture.client.send("GET", "/admin/dlq/trainer", headers: auth)
            let messages = try response.json()["messages"] as? [[String: Any]] ?? []
            return messages.isEmpty ? nil : messages
        }
        #expect(listed.count == 1)
        let entry = try #require(listed.first)
        #expect(entry["messageId"] as? String == poison.messageId)
        #expect(entry["parkedBy"] as? String == "broker")
        #expect(entry["attempts"] as? Int == 6)
        #expect(entry["tenant"] as? String == "acme")
        #expect((entry["error"] as? String)?.contains("delivery limit reached") == true)
        let lastText = try #require(entry["lastFailedAt"] as? String)
        let last = try #require(Timestamp.parse(lastText))
        #expect(abs(last.timeIntervalSinceNow) < 120)
        #expect(entry["firstFailedAt"] as? String != nil)
        #expect(try producer.messageCount(queue: stage.queue) == 0)
    }

    @Test func operatorsListShowReplayAndPurgeThroughTheGateway() throws {
        let fixture = try GatewayFixture(adminToken: Self.token)
        defer { fixture.close() }
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { workers.stop() }
        let client = fixture.client
        let publisher = try Publisher(connection: try fixture.openBroker())
        defer { publisher.close() }
        let tenant = "ops-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"

        // Two poison messages from a direct producer (nobody waits for a reply, so the worker parks them):
        // a validation of a datasource that does not exist, and a registration carrying a clear password
        // whose name is taken.
        let missing = EntityID.random(.dataSource)
        let validate = try Self.envelope("pulse.datasource.validate.v1", payload: #"{"dataSourceId":"\#(missing)"}"#, tenant: tenant)
        #expect(try client.send("POST", "/datasources", headers: ["Pulse-Tenant": tenant], body: registrationPayload).status == 200)
        let duplicate = try Self.envelope("pulse.datasource.register.v1", payload: registrationPayload, tenant: tenant)
        try Self.publish(validate, to: fixture.topology.commandExchange, with: publisher)
        try Self.publish(duplicate, to: fixture.topology.commandExchange, with: publisher)

        let listed = try EndToEnd.poll(seconds: 20) { () -> [[String: Any]]? in
            let messages = try client.send("GET", "/admin/dlq/extractor?tenant=\(tenant)", headers: auth).json()["messages"] as? [[String: Any]] ?? []
            return messages.count == 2 ? messages : nil
        }
        let byId = Dictionary(uniqueKeysWithValues: listed.map { ($0["messageId"] as? String ?? "", $0) })
        let parkedValidation = try #require(byId[validate.messageId])
        #expect(parkedValidation["parkedBy"] as? String == "worker")
        #expect(parkedValidation["attempts"] as? Int == 1)
        #expect((parkedValidation["error"] as? String)?.contains("datasource \(missing) does not exist") == true, "\(parkedValidation)")
        #expect((byId[duplicate.messageId]?["error"] as? String)?.contains("already exists") == true)

        // Show: the envelope, with the clear password masked.
        let shown = try client.send("GET", "/admin/dlq/extractor/\(duplicate.messageId)", headers: auth)
        #expect(shown.status == 200)
        #expect(!shown.text.contains("s3cret"))
        #expect(shown.text.contains(#""password":"***""#))
        #expect(try client.send("GET", "/admin/dlq/extractor/\(MessageID.make())", headers: auth).status == 404)

        // Filtered replay: only the validation goes back, under its own message id, and is parked again (the
        // datasource still does not exist) with the replay counted.
        let replay = try client.send("POST", "/admin/dlq/extractor/replay", headers: auth, body: #"{"operation":"pulse.datasource.validate.v1","tenant":"\#(tenant)"}"#)
        #expect(replay.status == 200)
        #expect(try replay.json()["replayed"] as? Int == 1)
        let again = try EndToEnd.poll(seconds: 20) { () -> [String: Any]? in
            let messages = try client.send("GET", "/admin/dlq/extractor?messageId=\(validate.messageId)", headers: auth).json()["messages"] as? [[String: Any]] ?? []
            return messages.first { $0["replays"] as? Int == 1 }
        }
        #expect(again["messageId"] as? String == validate.messageId)
        #expect(try client.send("POST", "/admin/dlq/extractor/replay", headers: auth, body: "{}").status == 422)

        let purged = try client.send("DELETE", "/admin/dlq/extractor", headers: auth)
        #expect(try purged.json()["purged"] as? Int == 2)
        let counts = try client.send("GET", "/admin/dlq", headers: auth).json()["parked"] as? [String: Any]
        #expect(counts?["extractor"] as? Int == 0)
    }

    @Test func theOperatorEndpointsWantTheToken() throws {
        let fixture = try GatewayFixture(adminToken: Self.token)
        defer { fixture.close() }
        #expect(try fixture.client.send("GET", "/admin/dlq/extractor").status == 401)
        #expect(try fixture.client.send("GET", "/admin/dlq/extractor", headers: ["Authorization": "Bearer \(Self.token)x"]).status == 401)
        #expect(try fixture.client.send("GET", "/admin/dlq/nonsense", headers: auth).status == 404)
        let closed = try GatewayFixture()
        defer { closed.close() }
        let refused = try closed.client.send("GET", "/admin/dlq", headers: auth)
        #expect(refused.status == 403)
        #expect(refused.text.contains("PULSE_ADMIN_TOKEN"))
    }
}

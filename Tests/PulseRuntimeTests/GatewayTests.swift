import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import Testing

/// The gateway against real PostgreSQL and RabbitMQ: each test gets its own database, topology prefix and gateway.
/// Expected values are written by hand from the contracts (Problem, MessageID) and the route table.
@Suite(.enabled(if: GatewayServices.available, "needs PULSE_TEST_DATABASE_URL and PULSE_TEST_AMQP_URL"))
final class GatewayTests {
    let fixture: GatewayFixture
    var client: GatewayClient { fixture.client }

    init() throws {
        fixture = try GatewayFixture()
    }

    deinit {
        fixture.close()
    }

    // MARK: - Validation (nothing is published)

    @Test func malformedJSONIsA400Problem() throws {
        let response = try client.send("POST", "/mutations/pulse.datasource.register.v1", body: #"{"name": "x",,}"#)
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/problem+json")
        let problem = try response.json()
        #expect(problem["type"] as? String == "https://pulse.dev/problems/malformed-json")
        #expect(problem["status"] as? Int == 400)
    }

    @Test func unknownOperationIs404() throws {
        let response = try client.send("POST", "/mutations/pulse.nothing.here.v1", body: "{}")
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(try response.json()["type"] as? String == "https://pulse.dev/problems/unknown-operation")
    }

    @Test func missingFieldIs422WithPointer() throws {
        let response = try client.send("POST", "/datasources", body: "{}")
        #expect(response.status == 422)
        let errors = try #require(try response.json()["errors"] as? [[String: Any]])
        #expect(errors.first?["pointer"] as? String == "/payload/name")
    }

    @Test func wrongTypeIs422WithPointer() throws {
        let body = registrationPayload.replacingOccurrences(of: #""port":5432"#, with: #""port":"5432""#)
        let response = try client.send("POST", "/mutations/pulse.datasource.register.v1", body: body)
        #expect(response.status == 422)
        let errors = try #require(try response.json()["errors"] as? [[String: Any]])
        #expect(errors.map { $0["pointer"] as? String } == ["/payload/connection/port"])
    }

    @Test func queryNamePostedAsMutationIs422() throws {
        let response = try client.send("POST", "/mutations/pulse.datasource.list.v1", body: "{}")
        #expect(response.status == 422)
        #expect(try response.json()["detail"] as? String ?? "" == "/name: pulse.datasource.list.v1 is a query: use POST /queries/pulse.datasource.list.v1")
    }

    @Test func envelopeMustNameTheOperationInTheURL() throws {
        let envelope = try Envelope.mutation(
            Operations.validateDataSource, payload: DataSourceReference(dataSourceId: EntityID.random(.dataSource)), tenantId: "acme"
        )
        let response = try client.send("POST", "/mutations/pulse.datasource.register.v1", body: String(decoding: envelope.encoded(), as: UTF8.self))
        #expect(response.status == 422)
        let errors = try #require(try response.json()["errors"] as? [[String: Any]])
        #expect(errors.first?["pointer"] as? String == "/name")
    }

    @Test func invalidTenantHeaderIs400() throws {
        let response = try client.send("POST", "/datasources", headers: ["Pulse-Tenant": "Not A Tenant"], body: registrationPayload)
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/problem+json")
    }

    // MARK: - Publishing and replies

    @Test func mutationIsPublishedToTheStageQueueAndAnswersWithTheReply() throws {
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let pending = client.sendInBackground(
            "POST", "/datasources", headers: ["Pulse-Tenant": "acme", "traceparent": traceparent], body: registrationPayload
        )
        // Act as the extractor: take the command from its (prefixed) queue and answer on reply_to.
        let stage = try fixture.topology.stage(named: "extractor")
        let consumer = try Consumer(connection: try fixture.openBroker(), queue: stage.queue, prefetch: 1)
        defer { consumer.close() }
        let delivery = try #require(try consumer.next(timeout: 20))
        let envelope = try Envelope.decode(delivery.body)
        #expect(delivery.exchange == fixture.topology.commandExchange)
        #expect(delivery.routingKey == "pulse.datasource.register.v1")
        #expect(delivery.properties.type == "pulse.datasource.register.v1")
        #expect(delivery.properties.messageId == envelope.messageId)
        #expect(delivery.properties.correlationId == envelope.messageId)
        #expect(delivery.properties.persistent)
        #expect(delivery.properties.headers["pulse-tenant"] == .string("acme"))
        #expect(delivery.properties.headers["traceparent"] == .string(traceparent))
        #expect(envelope.kind == .mutation)
        #expect(envelope.tenantId == "acme")
        #expect(envelope.metadata.traceparent == traceparent)
        #expect(envelope.metadata.correlationId == envelope.messageId)
        let registration = try envelope.payload(as: Operations.registerDataSource)
        #expect(registration.allowlist == ["public.flights_v"])
        // The password never reaches the broker in clear: the gateway sealed the connection for this tenant.
        #expect(!String(decoding: delivery.body, as: UTF8.self).contains("s3cret"))
        #expect(registration.connection == nil)
        let sealer = try SecretSealer.loadKeyFile(fixture.configuration.masterKeyFile, keyId: fixture.configuration.masterKeyId)
        let sealed = try #require(registration.sealedConnection)
        let opened = try sealer.open(sealed, associatedData: RegisterDataSource.transitAssociatedData(tenant: "acme"))
        #expect(try JSONCodec.decode(PostgresConnectionPayload.self, from: opened).password == "s3cret")
        #expect(throws: (any Error).self) { try sealer.open(sealed, associatedData: RegisterDataSource.transitAssociatedData(tenant: "other")) }
        let replyTo = try #require(delivery.properties.replyTo)

        let reply = Reply(status: 201, body: .object(["dataSourceId": .string("ds_0000000000000000000000000000"), "status": .string("registered")]))
        let publisherConnection = try fixture.openBroker()
        let publisher = try Publisher(connection: publisherConnection)
        defer { publisher.close() }
        try publisher.publish(
            exchange: "", routingKey: replyTo, body: try JSONEncoder().encode(reply),
            properties: MessageProperties(correlationId: delivery.properties.correlationId, type: "pulse.reply", persistent: false),
            mandatory: false
        )
        try consumer.ack(delivery)

        let response = try pending.wait()
        #expect(response.status == 201)
        #expect(response.header("Pulse-Message-Id") == envelope.messageId)
        #expect(response.text == #"{"dataSourceId":"ds_0000000000000000000000000000","status":"registered"}"#)
    }

    @Test func aProblemReplyIsProblemJSON() throws {
        let pending = client.sendInBackground("POST", "/models/\(EntityID.random(.model))/evaluate")
        let consumer = try Consumer(connection: try fixture.openBroker(), queue: try fixture.topology.stage(named: "evaluator").queue, prefetch: 1)
        defer { consumer.close() }
        let delivery = try #require(try consumer.next(timeout: 20))
        let publisher = try Publisher(connection: try fixture.openBroker())
        defer { publisher.close() }
        let problem = Problem.notFound("model x", pointer: "/payload/modelId")
        try publisher.publish(
            exchange: "", routingKey: try #require(delivery.properties.replyTo), body: try JSONEncoder().encode(Reply(problem: problem)),
            properties: MessageProperties(correlationId: delivery.properties.correlationId), mandatory: false
        )
        try consumer.ack(delivery)

        let response = try pending.wait()
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/problem+json")
        let errors = try #require(try response.json()["errors"] as? [[String: Any]])
        #expect(errors.first?["pointer"] as? String == "/payload/modelId")
    }

    @Test func preferRespondAsyncAnswers202WithLocation() throws {
        let response = try client.send("POST", "/datasources", headers: ["Prefer": "respond-async"], body: registrationPayload)
        #expect(response.status == 202)
        let body = try response.json()
        let messageId = try #require(body["messageId"] as? String)
        #expect(body["status"] as? String == "accepted")
        #expect(response.header("Location") == "/operations/\(messageId)")
        let queue = try fixture.topology.stage(named: "extractor").queue
        let broker = try fixture.openBroker()
        defer { broker.close() }
        let delivery = try #require(try broker.get(queue: queue))
        #expect(delivery.properties.messageId == messageId)
    }

    /// No worker runs here, so the first request stays in flight: the same request again is 409, a different
    /// request under the key is 422 naming both hashes, and another tenant's key is its own.
    @Test func idempotencyKeyInFlightIs409AndAnotherRequestIs422() throws {
        // Fresh key and tenants: the test database outlives a run, and keys are kept for 24 hours.
        let run = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let headers = ["Prefer": "respond-async", "Idempotency-Key": "order-\(run)", "Pulse-Tenant": "acme-\(run)"]
        let first = try client.send("POST", "/datasources", headers: headers, body: registrationPayload)
        #expect(first.status == 202)
        let firstId = try #require(try first.json()["messageId"] as? String)

        let again = try client.send("POST", "/datasources", headers: headers, body: registrationPayload)
        #expect(again.status == 409)
        #expect(again.header("Location") == "/operations/\(firstId)")
        #expect(again.header("Retry-After") == "1")
        #expect(try again.json()["type"] as? String == "https://pulse.dev/problems/idempotency-key-in-flight")

        // Request hashes: SHA-256 of {"name": operation, "payload": payload} with sorted keys and no spaces,
        // computed with Python's json.dumps(sort_keys=True, separators=(",", ":")) and hashlib.
        let different = try client.send(
            "POST", "/datasources", headers: headers,
            body: registrationPayload.replacingOccurrences(of: #""name":"flights""#, with: #""name":"flights-2""#)
        )
        #expect(different.status == 422)
        let detail = try #require(try different.json()["detail"] as? String)
        #expect(detail.contains("sha256:a50f7505b0cd4dd1e75fa748c1b18a64f0a4b5c586ea6d1d92be28ad692476d0"), "\(detail)")
        #expect(detail.contains("sha256:76140631c57195feb6b7caf1b2e5824372005080f34aadfec4d626a28296671d"), "\(detail)")

        let otherTenant = try client.send("POST", "/datasources", headers: headers.merging(["Pulse-Tenant": "globex-\(run)"]) { $1 }, body: registrationPayload)
        #expect(otherTenant.status == 202)
        #expect(try otherTenant.json()["messageId"] as? String != firstId)
    }

    @Test func noReplyWithinTheTimeoutAnswers202() throws {
        let quick = try GatewayFixture(replyTimeoutSeconds: 0.3)
        defer { quick.close() }
        let response = try quick.client.send("POST", "/feedback", body: #"{"items":[{"predictionId":"\#(EntityID.random(.prediction))","outcome":1}]}"#)
        #expect(response.status == 202)
        let messageId = try #require(try response.json()["messageId"] as? String)
        #expect(response.header("Location") == "/operations/\(messageId)")
    }

    // MARK: - Queries

    @Test func unknownDatasourceIs404NamingTheField() throws {
        let response = try client.send("GET", "/datasources/\(EntityID.random(.dataSource))")
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/problem+json")
        let errors = try #require(try response.json()["errors"] as? [[String: Any]])
        #expect(errors.first?["pointer"] as? String == "/payload/dataSourceId")
    }

    @Test func datasourceIsReadWithoutItsSecretAndPerTenant() throws {
        let id = EntityID.random(.dataSource)
        try fixture.withDatabase { database in
            try database.execute(
                """
                INSERT INTO datasources (id, tenant_id, name, kind, sealed_config, allowlist, status)
                VALUES ($1, 'acme', 'flights', 'postgres', 'pulse:v1:local-1:SEALEDBYTES', '{public.flights_v}', 'registered')
                """,
                [id]
            )
        }
        let response = try client.send("GET", "/datasources/\(id)", headers: ["Pulse-Tenant": "acme"])
        #expect(response.status == 200)
        let document = try response.json()
        #expect(document["dataSourceId"] as? String == id)
        #expect(document["allowlist"] as? [String] == ["public.flights_v"])
        #expect(document["status"] as? String == "registered")
        #expect(!response.text.contains("SEALEDBYTES"))
        #expect(!response.text.contains("sealed"))

        let list = try client.send("POST", "/queries/pulse.datasource.list.v1", headers: ["Pulse-Tenant": "acme"], body: "{}")
        #expect((try list.json()["items"] as? [[String: Any]])?.map { $0["dataSourceId"] as? String } == [id])
        #expect(try client.send("GET", "/datasources/\(id)").status == 404)   // the default tenant does not see it
    }

    @Test(arguments: [
        "/extractions/\(EntityID.random(.extraction))",
        "/models/\(EntityID.random(.model))",
        "/datasets/\(EntityID.random(.dataset))/versions/3",
        "/retraining/runs/\(EntityID.random(.retraining))",
        "/lineage/predictions/\(EntityID.random(.prediction))",
    ])
    func everyQueryRunsAndAnswers404ForAnUnknownId(path: String) throws {
        let response = try client.send("GET", path)
        #expect(response.status == 404, "\(path): \(response.text)")
        #expect(response.header("Content-Type") == "application/problem+json")
    }

    @Test func operationStatusComesFromTheInbox() throws {
        let messageId = MessageID.make()
        let pending = try client.send("GET", "/operations/\(messageId)")
        #expect(pending.status == 404)
        #expect(try pending.json()["title"] as? String == "Not processed yet")
        try fixture.withDatabase { database in
            try database.execute(
                """
                INSERT INTO inbox (consumer, message_id, tenant_id, operation, status, reply)
                VALUES ('extractor', $1, 'default', 'pulse.datasource.register.v1', 201, '{"status":201,"body":{"ok":true}}')
                """,
                [messageId]
            )
        }
        let done = try client.send("GET", "/operations/\(messageId)")
        #expect(done.status == 200)
        let document = try done.json()
        #expect(document["status"] as? String == "processed")
        #expect(document["replyStatus"] as? Int == 201)
        #expect((document["reply"] as? [String: Any])?["status"] as? Int == 201)
    }

    @Test func catalogListsEveryOperation() throws {
        let response = try client.send("GET", "/operations")
        let operations = try #require(try response.json()["operations"] as? [[String: Any]])
        #expect(operations.count == OperationCatalog.all.count)
        let training = try #require(operations.first { $0["name"] as? String == "pulse.training.start.v1" })
        #expect(training["kind"] as? String == "mutation")
        #expect(training["stage"] as? String == "trainer")
    }

    // MARK: - Operations endpoints

    @Test func healthEndpointsAnswer200() throws {
        #expect(try client.send("GET", "/livez").status == 200)
        #expect(try client.send("GET", "/readyz").status == 200)
    }

    @Test func metricsCountRequestsByRoutePattern() throws {
        _ = try client.send("GET", "/datasources/\(EntityID.random(.dataSource))")
        let metrics = try client.send("GET", "/metrics").text
        #expect(metrics.contains(#"pulse_gateway_requests_total{route="/datasources/:id",status="404"} 1"#))
    }

    @Test func servesTheOpenAPIDocument() throws {
        let response = try client.send("GET", "/openapi.yaml")
        #expect(response.status == 200)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/openapi.yaml")
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(response.text.trimmingCharacters(in: .newlines) == expected.trimmingCharacters(in: .newlines))
    }
}

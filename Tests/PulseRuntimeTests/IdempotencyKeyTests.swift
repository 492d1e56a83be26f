import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import Testing

/// Idempotency keys end to end, on the real broker and PostgreSQL with a real extractor worker (registering a
/// datasource is the cheapest mutation with a visible effect: one `datasources` row per request that did work).
///
/// DESIGN rule 4: same key + same request → the stored result; same key + different request → 422; a key still
/// in flight → 409; kept per tenant; concurrent requests with one key do the work once.
@Suite("Idempotency keys", .enabled(if: GatewayServices.available))
struct IdempotencyKeyTests {
    private static func registration(name: String) -> String {
        registrationPayload.replacingOccurrences(of: #""name":"flights""#, with: #""name":"\#(name)""#)
    }

    private static func fresh(_ prefix: String) -> String { "\(prefix)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))" }

    private static func dataSources(named name: String, tenant: String, _ fixture: GatewayFixture) throws -> Int {
        try fixture.withDatabase {
            try $0.execute("SELECT count(*) AS n FROM datasources WHERE tenant_id = $1 AND name = $2", [tenant, name]).rows[0].int("n")
        }
    }

    @Test func aCompletedKeyReplaysTheStoredReplyAndDoesNothingNew() throws {
        let fixture = try GatewayFixture()
        defer { fixture.close() }
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { workers.stop() }
        let tenant = Self.fresh("idem")
        let headers = ["Pulse-Tenant": tenant, "Idempotency-Key": "register-flights"]

        let first = try fixture.client.send("POST", "/datasources", headers: headers, body: registrationPayload)
        #expect(first.status == 200, "\(first.text)")
        #expect(first.header("Idempotent-Replayed") == nil)
        let again = try fixture.client.send("POST", "/datasources", headers: headers, body: registrationPayload)
        #expect(again.status == 200)
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(again.text == first.text)
        #expect(again.header("Pulse-Message-Id") == first.header("Pulse-Message-Id"))
        #expect(try Self.dataSources(named: "flights", tenant: tenant, fixture) == 1)

        // Without the key the same body is a new request: the worker refuses a second datasource of that name.
        let unkeyed = try fixture.client.send("POST", "/datasources", headers: ["Pulse-Tenant": tenant], body: registrationPayload)
        #expect(unkeyed.status == 409)
        // The key in another tenant is that tenant's own.
        let elsewhere = try fixture.client.send("POST", "/datasources", headers: headers.merging(["Pulse-Tenant": Self.fresh("idem")]) { $1 }, body: registrationPayload)
        #expect(elsewhere.status == 200)
        #expect(elsewhere.header("Idempotent-Replayed") == nil)
    }

    @Test func concurrentRequestsWithOneKeyDoTheWorkOnce() throws {
        let fixture = try GatewayFixture()
        defer { fixture.close() }
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { workers.stop() }
        let tenant = Self.fresh("idem")
        let headers = ["Pulse-Tenant": tenant, "Idempotency-Key": "burst"]

        let pending = (0..<8).map { _ in fixture.client.sendInBackground("POST", "/datasources", headers: headers, body: registrationPayload) }
        let statuses = try pending.map { try $0.wait().status }
        // Each answer is the worker's result (first or replayed) or 409 while the first was in flight.
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 409 }, "\(statuses)")
        #expect(statuses.contains(200))
        #expect(try Self.dataSources(named: "flights", tenant: tenant, fixture) == 1)
        // Once it finished, every retry gets the stored result.
        let settled = try fixture.client.send("POST", "/datasources", headers: headers, body: registrationPayload)
        #expect(settled.status == 200)
        #expect(settled.header("Idempotent-Replayed") == "true")
        let commands = try fixture.withDatabase {
            try $0.execute("SELECT count(*) AS n FROM inbox WHERE tenant_id = $1", [tenant]).rows[0].int("n")
        }
        #expect(commands == 1)
    }

    @Test func aRejectedRequestKeepsItsAnswerInsteadOfStayingInFlight() throws {
        let fixture = try GatewayFixture()
        defer { fixture.close() }
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { workers.stop() }
        let tenant = Self.fresh("idem")
        let missing = EntityID.random(.dataSource)
        let headers = ["Pulse-Tenant": tenant, "Idempotency-Key": "validate-missing"]

        let first = try fixture.client.send("POST", "/datasources/\(missing)/validate", headers: headers)
        #expect(first.status == 404)
        let again = try fixture.client.send("POST", "/datasources/\(missing)/validate", headers: headers)
        #expect(again.status == 404)
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(again.text == first.text)
    }

    @Test func anExpiredKeyIsFreeForANewRequest() throws {
        let fixture = try GatewayFixture()
        defer { fixture.close() }
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { workers.stop() }
        let tenant = Self.fresh("idem")
        let headers = ["Pulse-Tenant": tenant, "Idempotency-Key": "reused-after-a-day"]

        let first = try fixture.client.send("POST", "/datasources", headers: headers, body: registrationPayload)
        #expect(first.status == 200)
        let expiry = try fixture.withDatabase {
            try $0.execute(
                "SELECT extract(epoch FROM expires_at - completed_at)::int AS seconds FROM idempotency_keys WHERE tenant_id = $1", [tenant]
            ).rows[0].int("seconds")
        }
        #expect(expiry == 24 * 3600)
        let otherRequest = Self.registration(name: "flights-2")
        #expect(try fixture.client.send("POST", "/datasources", headers: headers, body: otherRequest).status == 422)

        // A day later (moved back by hand) the key stands for whatever comes next.
        try fixture.withDatabase {
            try $0.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = $1", [tenant])
        }
        let later = try fixture.client.send("POST", "/datasources", headers: headers, body: otherRequest)
        #expect(later.status == 200, "\(later.text)")
        #expect(later.header("Idempotent-Replayed") == nil)
        #expect(try Self.dataSources(named: "flights-2", tenant: tenant, fixture) == 1)
    }

    /// A gateway that died after claiming a key but before the broker confirmed its publish leaves a pending
    /// claim; once its lease ran out, a retry of the same request takes it over under the same message id.
    @Test func aStaleClaimIsTakenOverUnderItsMessageId() throws {
        let fixture = try GatewayFixture()
        defer { fixture.close() }
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { workers.stop() }
        let tenant = Self.fresh("idem")
        let orphan = EntityID.random(.message)
        let hash = "sha256:a50f7505b0cd4dd1e75fa748c1b18a64f0a4b5c586ea6d1d92be28ad692476d0"   // registrationPayload (python hashlib)
        try fixture.withDatabase {
            try $0.execute(
                """
                INSERT INTO idempotency_keys (tenant_id, key, operation, request_hash, message_id, status, claimed_until, expires_at)
                VALUES ($1, 'crashed-gateway', 'pulse.datasource.register.v1', $2, $3, 'pending', $4::timestamptz, now() + interval '1 day')
                """,
                [tenant, hash, orphan, Timestamp.format(Date().addingTimeInterval(3))]
            )
        }
        let headers = ["Pulse-Tenant": tenant, "Idempotency-Key": "crashed-gateway"]
        // Within the lease the claim is still somebody's.
        let early = try fixture.client.send("POST", "/datasources", headers: headers, body: registrationPayload)
        #expect(early.status == 409)
        Thread.sleep(forTimeInterval: 3.5)
        let retried = try fixture.client.send("POST", "/datasources", headers: headers, body: registrationPayload)
        #expect(retried.status == 200, "\(retried.text)")
        #expect(retried.header("Pulse-Message-Id") == orphan)
        #expect(try Self.dataSources(named: "flights", tenant: tenant, fixture) == 1)
    }

    /// Producers that publish straight to the broker: the worker holds the key to the same rules. Two messages
    /// with one key and one request do the work once; a different request under the key is parked with the 422.
    @Test func directProducersAreHeldToTheSameRules() throws {
        let fixture = try GatewayFixture()
        defer { fixture.close() }
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { workers.stop() }
        let deadLetters = try DeadLetters(configuration: fixture.configuration, stageName: Stage.extractor.rawValue)
        defer { deadLetters.close() }
        let tenant = Self.fresh("idem")
        let connection = try fixture.openBroker()
        let publisher = try Publisher(connection: connection)
        defer { publisher.close() }

        func publish(_ body: String) throws -> String {
            let envelope = Envelope(
                kind: .mutation, name: "pulse.datasource.register.v1", version: 1, messageId: MessageID.make(), timestamp: Date(),
                idempotencyKey: "direct", tenantId: tenant, payload: try JSONValue.parse(Data(body.utf8))
            )
            try publisher.publish(
                exchange: fixture.topology.commandExchange, routingKey: envelope.name, body: envelope.encoded(),
                properties: MessageProperties(messageId: envelope.messageId, type: envelope.name, persistent: true)
            )
            return envelope.messageId
        }
        let first = try publish(registrationPayload)
        _ = try EndToEnd.poll(seconds: 20) { try Self.dataSources(named: "flights", tenant: tenant, fixture) == 1 ? true : nil }
        let second = try publish(registrationPayload)
        let conflicting = try publish(Self.registration(name: "flights-2"))

        let parked = try EndToEnd.poll(seconds: 20) { try deadLetters.list().first { $0.messageId == conflicting } }
        #expect(parked.error?.contains("Idempotency key reused") == true, "\(parked.error ?? "")")
        #expect(parked.error?.contains("sha256:76140631c57195feb6b7caf1b2e5824372005080f34aadfec4d626a28296671d") == true)
        // The duplicate was answered from the key (no second datasource, no second inbox row) and not parked.
        #expect(try Self.dataSources(named: "flights", tenant: tenant, fixture) == 1)
        #expect(try Self.dataSources(named: "flights-2", tenant: tenant, fixture) == 0)
        let handled = try fixture.withDatabase {
            try $0.execute("SELECT message_id FROM inbox WHERE tenant_id = $1", [tenant]).rows.map { $0["message_id"] }
        }
        #expect(handled == [first])
        #expect(try deadLetters.list().contains { $0.messageId == second } == false)
    }
}

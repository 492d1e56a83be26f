import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import Testing

/// The broker hands a message to a second worker while the first is still on it when the first one's delivery
/// times out (`consumer_timeout`) or its connection drops mid-job. Two copies of one message (same message id)
/// reach two extractor workers at once here: the job must run once.
@Suite("Redelivery while in progress", .enabled(if: GatewayServices.available && EndToEnd.sourceURL != nil))
struct RedeliveryTests {
    @Test func aCopyThatArrivesWhileTheFirstIsStillRunningIsNotDoneTwice() throws {
        let fixture = try GatewayFixture(retryDelaySeconds: 1)
        defer { fixture.close() }
        // Two worker processes' worth of hosts on one queue, each taking one message at a time.
        let first = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { first.stop() }
        let second = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { second.stop() }
        let tenant = "redeliver-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        let registered = try fixture.client.send("POST", "/datasources", headers: ["Pulse-Tenant": tenant], body: try EndToEnd.json([
            "name": "flights", "kind": "postgres", "connection": try EndToEnd.sourceConnection(),
            "allowlist": ["pulse_views.flight_features", "pulse_views.flight_labels"],
        ]))
        let dataSourceId = try #require(try registered.json()["id"] as? String)

        let extraction = Envelope(
            kind: .mutation, name: Operations.extractSQL.rawValue, version: 1, messageId: MessageID.make(), timestamp: Date(), tenantId: tenant,
            payload: try JSONValue.parse(Data(try EndToEnd.json([
                "dataSourceId": dataSourceId, "view": "pulse_views.flight_features", "cursorColumn": "scheduled_at", "keyColumn": "flight_id",
                "upTo": EndToEnd.endOfJanuary, "chunkRows": 5_000,
            ]).utf8))
        )
        let publisher = try Publisher(connection: try fixture.openBroker())
        defer { publisher.close() }
        for _ in 0..<2 {
            try publisher.publish(
                exchange: fixture.topology.commandExchange, routingKey: extraction.name, body: extraction.encoded(),
                properties: MessageProperties(messageId: extraction.messageId, type: extraction.name, persistent: true)
            )
        }

        let stage = try fixture.topology.stage(named: Stage.extractor.rawValue)
        let broker = try fixture.openBroker()
        defer { broker.close() }
        let job = try EndToEnd.poll(seconds: 120) { () -> Row? in
            let row = try fixture.withDatabase {
                try $0.execute("SELECT status, attempts, row_count FROM extraction_jobs WHERE tenant_id = $1", [tenant]).rows.first
            }
            guard let row, row["status"] == "completed" else { return nil }
            // Both copies settled: nothing left in the stage queue or a retry tier.
            for queue in [stage.queue] + stage.retryQueues.map(\.queue) where try broker.messageCount(queue: queue) > 0 { return nil }
            return row
        }
        // The extractor counts every start of a job: a second, concurrent run would make it 2.
        #expect(try job.int("attempts") == 1)
        // January 2013's flights with a scheduled time (psql: count(*) on the view up to endOfJanuary).
        #expect(try job.int("row_count") == 27_004)
        try fixture.withDatabase { (database: PostgresConnection) throws in
            #expect(try database.execute("SELECT count(*) AS n FROM extraction_jobs WHERE tenant_id = $1", [tenant]).rows[0].int("n") == 1)
            #expect(try database.execute(
                "SELECT count(*) AS n FROM outbox WHERE tenant_id = $1 AND routing_key = $2", [tenant, Operations.extractionCompleted.rawValue]
            ).rows[0].int("n") == 1)
        }
        #expect(try broker.messageCount(queue: stage.deadLetterQueue) == 0)
    }
}

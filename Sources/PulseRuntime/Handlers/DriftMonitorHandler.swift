import Foundation
import PulseConnectors
import PulseContracts
import PulseCore
import PulseML
import PulseStorage

/// Records feedback, detects drift between live inputs and the training reference, decides on retraining and
/// starts (and closes) retraining runs.
public struct DriftMonitorHandler: StageHandler {
    public let stage = Stage.driftMonitor
    public let accepts: Set<String> = [
        Operations.recordFeedback.rawValue, Operations.detectDrift.rawValue, Operations.checkRetraining.rawValue,
        Operations.runRetraining.rawValue, Operations.modelPromoted.rawValue, Operations.modelRejected.rawValue,
    ]
    public var retrainingPolicy = RetrainingPolicy()
    /// Drift windows smaller than this give no verdict.
    public var minimumWindow = 100

    public init() {}

    public func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome {
        switch envelope.name {
        case Operations.recordFeedback.rawValue: return try feedback(envelope.payload(as: Operations.recordFeedback), envelope, context)
        case Operations.detectDrift.rawValue: return try drift(envelope.payload(as: Operations.detectDrift), envelope, context)
        case Operations.checkRetraining.rawValue: return try check(envelope.payload(as: Operations.checkRetraining).modelName, envelope, context)
        case Operations.runRetraining.rawValue: return try startRun(envelope.payload(as: Operations.runRetraining), envelope, context)
        default: return try finishRun(envelope.payload(as: Operations.modelPromoted), promoted: envelope.name == Operations.modelPromoted.rawValue, envelope, context)
        }
    }

    // MARK: feedback

    private func feedback(_ request: RecordFeedback, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let ids = request.items.map(\.predictionId)
        // Only the first unknown (or another tenant's) prediction comes back, not every known id. The join is on the
        // id alone, so only the primary key can serve it: with `tenant_id` in the join, stale statistics right after
        // a large batch of predictions made the planner probe the tenant index once per item (minutes).
        let unknown = try context.database.execute(
            """
            SELECT u.i - 1 AS index FROM unnest($2::text[]) WITH ORDINALITY AS u(id, i)
            LEFT JOIN predictions p ON p.id = u.id
            WHERE p.tenant_id IS DISTINCT FROM $1
            ORDER BY u.i LIMIT 1
            """,
            [envelope.tenantId, PostgresArray.literal(ids)]
        )
        if let row = unknown.rows.first {
            let index = try row.int("index")
            throw Problem.notFound("prediction \(ids[index])", pointer: "/payload/items/\(index)/predictionId")
        }
        // The last outcome given for a prediction in one request wins; earlier feedback for it is kept, not counted twice.
        var outcomes: [String: Double] = [:]
        for item in request.items { outcomes[item.predictionId] = item.outcome }
        let unique = outcomes.keys.sorted()
        let duplicatesInRequest = request.items.count - unique.count
        let already = try context.database.execute(
            "SELECT count(*) AS n FROM feedback WHERE tenant_id = $1 AND prediction_id = ANY($2::text[])", [envelope.tenantId, PostgresArray.literal(unique)]
        )
        let seenBefore = try already.rows.first?.int("n") ?? 0
        let recorded = unique.count - seenBefore
        let body = FeedbackEvent(recorded: recorded, duplicates: duplicatesInRequest + seenBefore)
        return try StageOutcome(body: body, events: [try OutgoingEvent(Operations.feedbackRecorded, body)]) { database in
            try database.execute(
                """
                INSERT INTO feedback (id, tenant_id, prediction_id, outcome)
                SELECT 'fb_' || substr(p, 6), $1, p, o FROM unnest($2::text[], $3::float8[]) AS t(p, o)
                ON CONFLICT (prediction_id) DO NOTHING
                """,
                [envelope.tenantId, PostgresArray.literal(unique), "{" + unique.map { String(outcomes[$0] ?? 0) }.joined(separator: ",") + "}"]
            )
        }
    }

    // MARK: drift

    private func drift(_ request: DetectDrift, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        guard let model = try StoredModel.production(name: request.modelName, tenant: envelope.tenantId, on: context.database) else {
            throw Problem.notFound("a production model named '\(request.modelName)'", pointer: "/payload/modelName")
        }
        let manifest = try model.manifest(from: context.objects)
        let window = try context.database.execute(
            """
            SELECT inputs::text AS inputs, score FROM predictions WHERE tenant_id = $1 AND model_id = $2
            ORDER BY created_at DESC, id DESC LIMIT $3
            """,
            [envelope.tenantId, model.id, String(request.windowSize ?? 50_000)]
        )
        guard window.rows.count >= minimumWindow else {
            throw Problem.invalidField(
                pointer: "/payload/modelName",
                detail: "only \(window.rows.count) predictions for model \(model.id); drift needs at least \(minimumWindow) to mean anything"
            )
        }
        var matrix = DenseMatrix(columns: manifest.featureSpec.features.count)
        var scores: [Float] = []
        for row in window.rows {
            let inputs = try JSONColumn.decode([String: JSONValue].self, row["inputs"])
            matrix.append(row: manifest.featureSpec.encode { FeatureValue(json: inputs[$0]) })
            scores.append(Float(try row.double("score")))
        }
        let report = DriftStatistics.compare(reference: manifest.reference, spec: manifest.featureSpec, window: matrix, predictions: scores)
        let maxPsi = report.features.map(\.psi).max() ?? 0
        let reportId = EntityID.derived(.drift, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let body = DriftView(reportId: reportId, modelId: model.id, modelName: model.name, maxPsi: maxPsi, report: report)
        let events = maxPsi >= 0.1 ? [try OutgoingEvent(Operations.driftDetected, DriftEvent(reportId: reportId, modelName: model.name, maxPsi: maxPsi))] : []
        return try StageOutcome(body: body, events: events) { database in
            try database.execute(
                "INSERT INTO drift_reports (id, tenant_id, model_id, window_rows, max_psi, report) VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
                [reportId, envelope.tenantId, model.id, String(report.windowRows), String(maxPsi), try JSONColumn.text(report)]
            )
            try database.link(tenant: envelope.tenantId, from: ("model", model.id), to: ("drift_report", reportId), relation: "monitored")
        }
    }

    // MARK: retraining

    private func check(_ modelName: String, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        guard let model = try StoredModel.production(name: modelName, tenant: envelope.tenantId, on: context.database) else {
            throw Problem.notFound("a production model named '\(modelName)'", pointer: "/payload/modelName")
        }
        let drift = try context.database.execute(
            "SELECT max_psi, report::text AS report FROM drift_reports WHERE model_id = $1 ORDER BY created_at DESC LIMIT 1", [model.id]
        )
        let report = try drift.rows.first.map { try JSONColumn.decode(DriftReport.self, $0["report"]) }
        let feedback = try context.database.execute(
            "SELECT p.score, f.outcome FROM feedback f JOIN predictions p ON p.id = f.prediction_id WHERE p.model_id = $1", [model.id]
        )
        var labels: [Float] = []
        var scores: [Float] = []
        for row in feedback.rows {
            labels.append(Float(try row.double("outcome")))
            scores.append(Float(try row.double("score")))
        }
        let hasBothOutcomes = labels.contains(0) && labels.contains(1)
        let liveAuc = hasBothOutcomes ? ClassificationMetrics(labels: labels, scores: scores).auc : nil
        let newRows = try countNewRows(for: model, tenant: envelope.tenantId, context: context)
        let signals = RetrainingPolicy.Signals(
            maxPsi: report.map { $0.features.map(\.psi).max() ?? 0 },
            driftedFeatures: report?.features.filter { $0.psi >= retrainingPolicy.psiThreshold }.map(\.name) ?? [],
            holdoutAuc: model.holdoutMetrics.auc, liveAuc: liveAuc, feedbackCount: labels.count, newRows: newRows
        )
        let decision = retrainingPolicy.decide(signals)
        let decisionId = EntityID.derived(.retraining, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp, purpose: "decision")
        let body = RetrainingDecisionView(decisionId: decisionId, modelId: model.id, modelName: modelName, retrain: decision.retrain, reasons: decision.reasons, signals: signals)
        return try StageOutcome(body: body) { database in
            try database.execute(
                "INSERT INTO retraining_decisions (id, tenant_id, model_name, model_id, retrain, reasons) VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
                [decisionId, envelope.tenantId, modelName, model.id, decision.retrain ? "true" : "false", try JSONColumn.text(body)]
            )
        }
    }

    /// Rows at the source after the newest cursor the model was trained on (nil when the source cannot be asked).
    private func countNewRows(for model: StoredModel, tenant: String, context: StageContext) throws -> Int? {
        let dataset = try JSONColumn.decode(
            DatasetManifest.self,
            try context.database.execute("SELECT manifest::text AS manifest FROM dataset_versions WHERE id = $1", [model.datasetVersionId]).rows.first?["manifest"]
        )
        let source = try StoredDataSource.load(id: dataset.source.dataSourceId, tenant: tenant, pointer: "/payload/modelName", on: context.database)
        let request = ExtractionRequest(
            object: try SourceObjectName(parsing: dataset.source.view), cursorColumn: dataset.source.cursorColumn,
            keyColumn: dataset.source.keyColumn, join: nil, after: dataset.cursorMax, upTo: nil
        )
        do {
            return try source.connector(sealer: context.sealer).plan(request).rowCount
        } catch let error as ConnectorError {
            context.logger.warning("source not reachable for the new-data check", ["error": error.description])
            return nil
        }
    }

    private func startRun(_ request: RunRetraining, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        guard let champion = try StoredModel.production(name: request.modelName, tenant: envelope.tenantId, on: context.database) else {
            throw Problem.notFound("a production model named '\(request.modelName)'", pointer: "/payload/modelName")
        }
        let running = try context.database.execute(
            "SELECT id FROM retraining_runs WHERE tenant_id = $1 AND model_name = $2 AND status = 'running'", [envelope.tenantId, request.modelName]
        )
        if let id = running.rows.first?["id"] { throw Problem.conflict("retraining run \(id) of \(request.modelName) is still running") }

        let dataset = try JSONColumn.decode(
            DatasetManifest.self,
            try context.database.execute("SELECT manifest::text AS manifest FROM dataset_versions WHERE id = $1", [champion.datasetVersionId]).rows.first?["manifest"]
        )
        let lastExtraction = try context.database.execute(
            "SELECT request::text AS request FROM extraction_jobs WHERE id = $1", [dataset.extractionIds.last ?? ""]
        )
        var extract = try JSONColumn.decode(ExtractSQL.self, lastExtraction.rows.first?["request"])
        extract.after = nil
        extract.upTo = nil
        extract.incremental = true
        let runId = EntityID.derived(.retraining, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let config = RetrainingConfig(
            datasetName: dataset.datasetName, baseExtractionIds: dataset.extractionIds, training: champion.trainingConfig,
            policy: PromotionPolicyPayload(minAuc: 0.6, maxAucRegression: 0.0)
        )
        let reason = request.reason ?? "requested"
        let event = RetrainingEvent(runId: runId, modelName: request.modelName, status: "requested", extract: extract, reason: reason)
        let body = RetrainingRunView(runId: runId, modelName: request.modelName, championId: champion.id, status: "running", reason: reason)
        return try StageOutcome(body: body, events: [try OutgoingEvent(Operations.retrainingRequested, event)]) { database in
            try database.execute(
                """
                INSERT INTO retraining_runs (id, tenant_id, model_name, champion_id, status, reason, config)
                VALUES ($1, $2, $3, $4, 'running', $5, $6::jsonb)
                """,
                [runId, envelope.tenantId, request.modelName, champion.id, reason, try JSONColumn.text(config)]
            )
            try database.link(tenant: envelope.tenantId, from: ("model", champion.id), to: ("retraining_run", runId), relation: "retrained_by")
        }
    }

    private func finishRun(_ event: ModelEvent, promoted: Bool, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        guard let runId = event.runId else { return .ignored("promotion decision is not part of a retraining run") }
        let status = promoted ? "promoted" : "rejected"
        let outcome = "\(status): \(event.reason ?? "")"
        let completed = RetrainingEvent(runId: runId, modelName: event.modelName, status: status, reason: event.reason)
        return try StageOutcome(body: completed, events: [try OutgoingEvent(Operations.retrainingCompleted, completed)]) { database in
            try database.execute(
                """
                UPDATE retraining_runs SET status = $2, outcome = $3, candidate_model_id = $4, finished_at = now()
                WHERE id = $1 AND status = 'running'
                """,
                [runId, status, outcome, event.modelId]
            )
            try database.link(tenant: envelope.tenantId, from: ("retraining_run", runId), to: ("model", event.modelId), relation: status)
        }
    }
}

struct DriftView: Codable {
    let reportId: String
    let modelId: String
    let modelName: String
    let maxPsi: Double
    let report: DriftReport
}

struct RetrainingDecisionView: Codable {
    let decisionId: String
    let modelId: String
    let modelName: String
    let retrain: Bool
    let reasons: [RetrainingPolicy.Reason]
    let signals: RetrainingPolicy.Signals
}

struct RetrainingRunView: Codable {
    let runId: String
    let modelName: String
    let championId: String
    let status: String
    let reason: String
}

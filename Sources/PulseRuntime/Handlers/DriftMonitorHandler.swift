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
        Operations.scheduleMonitoring.rawValue, Operations.runMonitoring.rawValue,
    ]
    public init() {}

    public func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome {
        switch envelope.name {
        case Operations.recordFeedback.rawValue: return try feedback(envelope.payload(as: Operations.recordFeedback), envelope, context)
        case Operations.detectDrift.rawValue: return try drift(envelope.payload(as: Operations.detectDrift), envelope, context)
        case Operations.checkRetraining.rawValue: return try check(envelope.payload(as: Operations.checkRetraining), envelope, context)
        case Operations.runRetraining.rawValue: return try startRun(envelope.payload(as: Operations.runRetraining), envelope, context)
        case Operations.scheduleMonitoring.rawValue: return try schedule(envelope.payload(as: Operations.scheduleMonitoring), envelope, context)
        case Operations.runMonitoring.rawValue: return try monitor(envelope.payload(as: Operations.runMonitoring), envelope, context)
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
        try requireBinaryOutcomesForClassifiers(request, envelope, context)
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

    /// A classifier's outcome is 0 or 1: 0.7 or 12 (minutes, meant for a regressor) would silently skew its live
    /// metrics. Only items with another value are looked up, so ordinary feedback costs no query.
    private func requireBinaryOutcomesForClassifiers(_ request: RecordFeedback, _ envelope: Envelope, _ context: StageContext) throws {
        let suspects = request.items.indices.filter { request.items[$0].outcome != 0 && request.items[$0].outcome != 1 }
        guard !suspects.isEmpty else { return }
        let classified = try context.database.execute(
            """
            SELECT u.i AS index FROM unnest($1::text[], $2::int[]) AS u(id, i)
            JOIN predictions p ON p.id = u.id JOIN models m ON m.id = p.model_id
            WHERE coalesce(m.training_config->>'objective', 'binary:logistic') = 'binary:logistic'
            ORDER BY u.i LIMIT 1
            """,
            [PostgresArray.literal(suspects.map { request.items[$0].predictionId }),
             "{" + suspects.map(String.init).joined(separator: ",") + "}"]
        )
        if let row = classified.rows.first {
            let index = try row.int("index")
            throw Problem.invalidField(
                pointer: "/payload/items/\(index)/outcome",
                detail: "prediction \(request.items[index].predictionId) comes from a classifier; its outcome must be 0 or 1, not \(request.items[index].outcome)")
        }
    }

    // MARK: drift

    /// Compares the latest `windowSize` predictions of the production model with its reference profile and records
    /// the report. A window under `minimumRows` is recorded too, with the verdict "insufficient-data", its counts
    /// and no statistics (rather than refused): the monitor ran, there was not enough traffic to judge. Only a
    /// report at "moderate" or worse emits `pulse.drift.detected.v1`.
    private func drift(_ request: DetectDrift, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        guard let model = try StoredModel.production(name: request.modelName, tenant: envelope.tenantId, on: context.database) else {
            throw Problem.notFound("a production model named '\(request.modelName)'", pointer: "/payload/modelName")
        }
        let measured = try measureDrift(request, model: model, envelope, context)
        return try StageOutcome(body: measured.view, events: measured.events, commit: measured.record)
    }

    /// One drift measurement of `model` and how to record it (for `drift`, and for a monitor pass).
    func measureDrift(_ request: DetectDrift, model: StoredModel, _ envelope: Envelope, _ context: StageContext) throws -> Recordable<DriftView, Void> {
        let manifest = try model.manifest(from: context.objects)
        let window = try context.database.execute(
            """
            SELECT inputs::text AS inputs, score FROM predictions WHERE tenant_id = $1 AND model_id = $2
            ORDER BY created_at DESC, id DESC LIMIT $3
            """,
            [envelope.tenantId, model.id, String(request.windowSize ?? 50_000)]
        )
        let minimumRows = request.minimumRows ?? DetectDrift.defaultMinimumRows
        var matrix = DenseMatrix(columns: manifest.featureSpec.features.count)
        var scores: [Float] = []
        if window.rows.count >= minimumRows {
            for row in window.rows {
                let inputs = try JSONColumn.decode([String: JSONValue].self, row["inputs"])
                matrix.append(row: manifest.featureSpec.encode { FeatureValue(json: inputs[$0]) })
                scores.append(Float(try row.double("score")))
            }
        }
        let report = window.rows.count >= minimumRows
            ? DriftStatistics.compare(
                reference: manifest.reference, spec: manifest.featureSpec, window: matrix, predictions: scores, minimumRows: minimumRows)
            : DriftReport.insufficient(windowRows: window.rows.count, referenceRows: manifest.reference.rows, minimumRows: minimumRows)
        let reportId = EntityID.derived(.drift, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let body = DriftView(
            reportId: reportId, modelId: model.id, modelName: model.name, verdict: report.verdict, maxPsi: report.maxPsi, report: report)
        var events: [OutgoingEvent] = []
        if let maxPsi = report.maxPsi, report.verdict >= .moderate {
            events.append(try OutgoingEvent(Operations.driftDetected, DriftEvent(
                reportId: reportId, modelName: model.name, maxPsi: maxPsi, verdict: report.verdict.rawValue, predictionPsi: report.prediction?.psi)))
        }
        return Recordable(view: body, events: events) { database in
            try database.execute(
                """
                INSERT INTO drift_reports (id, tenant_id, model_id, window_rows, max_psi, verdict, report)
                VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
                """,
                [reportId, envelope.tenantId, model.id, String(report.windowRows), report.maxPsi.map { String($0) },
                 report.verdict.rawValue, try JSONColumn.text(report)]
            )
            try database.link(tenant: envelope.tenantId, from: ("model", model.id), to: ("drift_report", reportId), relation: "monitored")
        }
    }

    // MARK: retraining

    /// Measures every signal, lets the policy (defaults overridden by the request's `policy`) decide, and records
    /// the decision with each reason and its numbers in `retraining_decisions`. It starts no run.
    private func check(_ request: CheckRetraining, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        guard let model = try StoredModel.production(name: request.modelName, tenant: envelope.tenantId, on: context.database) else {
            throw Problem.notFound("a production model named '\(request.modelName)'", pointer: "/payload/modelName")
        }
        let decided = try decideRetraining(model: model, policy: RetrainingPolicy(request.policy), latestDrift: nil, envelope, context)
        return try StageOutcome(body: decided.view, commit: decided.record)
    }

    /// The retraining decision for `model` and how to record it. `latestDrift` is a report about to be recorded
    /// in the same transaction (a monitor pass); without it the latest recorded report with a verdict counts.
    func decideRetraining(
        model: StoredModel, policy: RetrainingPolicy, latestDrift: (id: String, report: DriftReport)?, _ envelope: Envelope, _ context: StageContext
    ) throws -> Recordable<RetrainingDecisionView, Void> {
        let modelName = model.name
        let latest = try latestDrift ?? latestDriftWithAVerdict(model: model, tenant: envelope.tenantId, on: context.database)
        let report = latest?.report
        let live = try LivePerformance.measure(
            modelId: model.id, modelName: modelName, tenant: envelope.tenantId, window: policy.feedbackWindow, on: context.database)
        let ages = try context.database.execute(
            """
            SELECT extract(epoch FROM now() - m.created_at) / 3600 AS model_age,
                   r.id AS run_id, extract(epoch FROM now() - r.created_at) / 3600 AS since_run
            FROM models m
            LEFT JOIN LATERAL (
                SELECT id, created_at FROM retraining_runs WHERE tenant_id = m.tenant_id AND model_name = m.name
                ORDER BY created_at DESC, id DESC LIMIT 1
            ) r ON true
            WHERE m.id = $1
            """,
            [model.id]
        ).rows.first
        let newRows = try countNewRows(for: model, tenant: envelope.tenantId, context: context)
        let signals = RetrainingPolicy.Signals(
            maxPsi: report?.maxPsi, predictionPsi: report?.prediction?.psi, driftReportId: latest?.id,
            driftedFeatures: report?.features(atOrAbove: policy.psiThreshold).map(\.name) ?? [],
            holdoutAuc: live.holdoutAuc, liveAuc: live.auc, liveAccuracy: live.accuracy, holdoutRmse: live.holdoutRmse, liveRmse: live.rmse,
            feedbackCount: live.feedbackCount,
            newRows: newRows, modelAgeHours: ages?["model_age"].flatMap(Double.init),
            hoursSinceLastRun: ages?["since_run"].flatMap(Double.init), lastRunId: ages?["run_id"]
        )
        let decision = policy.decide(signals)
        let decisionId = EntityID.derived(.retraining, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp, purpose: "decision")
        let body = RetrainingDecisionView(
            decisionId: decisionId, modelId: model.id, modelName: modelName, retrain: decision.retrain, reasons: decision.reasons,
            signals: signals, policy: policy)
        return Recordable(view: body) { database in
            try database.execute(
                "INSERT INTO retraining_decisions (id, tenant_id, model_name, model_id, retrain, reasons) VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
                [decisionId, envelope.tenantId, modelName, model.id, decision.retrain ? "true" : "false", try JSONColumn.text(body)]
            )
        }
    }

    /// The latest report with a verdict: an insufficient-data window says nothing about drift.
    private func latestDriftWithAVerdict(model: StoredModel, tenant: String, on database: PostgresConnection) throws -> (id: String, report: DriftReport)? {
        let row = try database.execute(
            """
            SELECT id, report::text AS report FROM drift_reports
            WHERE tenant_id = $1 AND model_id = $2 AND verdict <> 'insufficient-data'
            ORDER BY created_at DESC, id DESC LIMIT 1
            """,
            [tenant, model.id]
        ).rows.first
        return try row.map { (try $0.string("id"), try JSONColumn.decode(DriftReport.self, $0["report"])) }
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

    /// Starts a retraining run: 409 while another run of the model name is running (checked first, and enforced at
    /// commit by the partial unique index `retraining_runs_one_running`, so two requests racing past the check
    /// still get one run and one clean 409), and 409 within the cooldown after the last run unless `force`.
    private func startRun(_ request: RunRetraining, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        guard let champion = try StoredModel.production(name: request.modelName, tenant: envelope.tenantId, on: context.database) else {
            throw Problem.notFound("a production model named '\(request.modelName)'", pointer: "/payload/modelName")
        }
        let run = try prepareRun(request, champion: champion, envelope, context)
        return try StageOutcome(body: run.view, events: run.events) { database in
            guard try run.record(database) else {
                // A concurrent request started a run between the check and this commit (the insert waited for it
                // on the unique index): the same answer as if it had been seen.
                throw Problem.conflict("another retraining run of \(request.modelName) started at the same time and is still running")
            }
        }
    }

    /// A retraining run of `champion`'s name, ready to record; throws 409 while a run is running or within the
    /// cooldown. Recording answers false when a concurrent run got in first.
    func prepareRun(_ request: RunRetraining, champion: StoredModel, _ envelope: Envelope, _ context: StageContext) throws -> Recordable<RetrainingRunView, Bool> {
        let latest = try context.database.execute(
            """
            SELECT id, status, extract(epoch FROM now() - created_at) / 3600 AS hours FROM retraining_runs
            WHERE tenant_id = $1 AND model_name = $2 ORDER BY (status = 'running') DESC, created_at DESC, id DESC LIMIT 1
            """,
            [envelope.tenantId, request.modelName]
        ).rows.first
        if let latest, latest["status"] == "running" {
            throw Problem.conflict("retraining run \(latest["id"] ?? "") of \(request.modelName) is still running")
        }
        let cooldown = request.cooldownHours ?? RunRetraining.defaultCooldownHours
        let forced = request.force ?? false
        if let latest, let hours = latest["hours"].flatMap(Double.init), hours < cooldown, !forced {
            throw Problem.conflict(
                "retraining run \(latest["id"] ?? "") of \(request.modelName) started \(String(format: "%.2f", hours)) hours ago, "
                    + "within the \(cooldown)-hour cooldown; send \"force\": true to start one anyway")
        }

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
            // The promoter's defaults, resolved by the candidate's metrics: a classifier needs AUC ≥ 0.6 and no AUC
            // regression, a regressor no RMSE regression against the champion on the candidate's holdout.
            policy: PromotionPolicyPayload(minimums: nil)
        )
        let reason = request.reason ?? "requested"
        let event = RetrainingEvent(runId: runId, modelName: request.modelName, status: "requested", extract: extract, reason: reason)
        let body = RetrainingRunView(runId: runId, modelName: request.modelName, championId: champion.id, status: "running", reason: reason, forced: forced)
        return Recordable(view: body, events: [try OutgoingEvent(Operations.retrainingRequested, event)]) { database in
            let inserted = try database.execute(
                """
                INSERT INTO retraining_runs (id, tenant_id, model_name, champion_id, status, reason, config, forced)
                VALUES ($1, $2, $3, $4, 'running', $5, $6::jsonb, $7)
                ON CONFLICT (tenant_id, model_name) WHERE status = 'running' DO NOTHING
                RETURNING id
                """,
                [runId, envelope.tenantId, request.modelName, champion.id, reason, try JSONColumn.text(config), forced ? "true" : "false"]
            )
            guard !inserted.rows.isEmpty else { return false }
            try database.link(tenant: envelope.tenantId, from: ("model", champion.id), to: ("retraining_run", runId), relation: "retrained_by")
            return true
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
    let verdict: DriftVerdict
    /// nil for "insufficient-data".
    let maxPsi: Double?
    let report: DriftReport
}

struct RetrainingDecisionView: Codable {
    let decisionId: String
    let modelId: String
    let modelName: String
    let retrain: Bool
    let reasons: [RetrainingPolicy.Reason]
    let signals: RetrainingPolicy.Signals
    /// The thresholds applied: the defaults with the request's overrides.
    let policy: RetrainingPolicy
}

struct RetrainingRunView: Codable {
    let runId: String
    let modelName: String
    let championId: String
    let status: String
    let reason: String
    /// Started inside the cooldown because the request said `force`.
    let forced: Bool
}

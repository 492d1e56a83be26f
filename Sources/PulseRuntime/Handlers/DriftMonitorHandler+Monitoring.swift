import Foundation
import PulseContracts
import PulseCore
import PulseML
import PulseStorage

/// Monitoring schedules: a model name watched on a timer. The drift monitor's scheduler (`runDue`, on the
/// worker's own thread every `PULSE_SCHEDULER_SECONDS`) claims the schedules that are due and queues one
/// `pulse.monitoring.run.v1` per schedule through the outbox; that pass measures drift, decides on retraining
/// and may start a run, all in one transaction.
extension DriftMonitorHandler: PeriodicWork {
    /// The most schedules one scheduler pass queues (the rest are due on the next pass).
    static let schedulesPerPass = 50

    /// Sets (or replaces) the schedule of a model name; it is due at once.
    func schedule(_ request: ScheduleMonitoring, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        guard try StoredModel.production(name: request.modelName, tenant: envelope.tenantId, on: context.database) != nil else {
            throw Problem.notFound("a production model named '\(request.modelName)'", pointer: "/payload/modelName")
        }
        let settings = try JSONColumn.text(request)
        let enabled = request.enabled ?? true
        return StageOutcome { database in
            let row = try database.execute(
                """
                INSERT INTO monitoring_schedules (tenant_id, model_name, every_minutes, settings, enabled, next_due_at)
                VALUES ($1, $2, $3, $4::jsonb, $5, now())
                ON CONFLICT (tenant_id, model_name) DO UPDATE SET
                    every_minutes = EXCLUDED.every_minutes, settings = EXCLUDED.settings, enabled = EXCLUDED.enabled,
                    next_due_at = now(), updated_at = now()
                RETURNING \(SQLTimestamp.iso8601("next_due_at")) AS next_due_at
                """,
                [envelope.tenantId, request.modelName, String(request.everyMinutes), settings, enabled ? "true" : "false"]
            ).rows.first
            return try StageOutcome.Settlement(body: ScheduleView(
                modelName: request.modelName, everyMinutes: request.everyMinutes, enabled: enabled, retrain: request.retrain ?? true,
                nextDueAt: enabled ? row?["next_due_at"] : nil, settings: request
            ))
        }
    }

    /// One monitor pass. Nothing here is an error for a scheduled pass (nobody waits for its reply, and a
    /// problem would park it): a name without a production model, or a paused schedule, is answered `skipped`.
    func monitor(_ request: RunMonitoring, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let tenant = envelope.tenantId
        let name = request.modelName
        let stored = try context.database.execute(
            "SELECT settings::text AS settings, enabled FROM monitoring_schedules WHERE tenant_id = $1 AND model_name = $2", [tenant, name]
        ).rows.first
        let settings = try stored.map { try JSONColumn.decode(ScheduleMonitoring.self, $0["settings"]) }
        if request.dueAt != nil, stored?["enabled"] != "t" {
            return try .init(body: MonitoringView(modelName: name, dueAt: request.dueAt, skipped: "the schedule was paused or removed"))
        }
        guard let model = try StoredModel.production(name: name, tenant: tenant, on: context.database) else {
            return try .init(body: MonitoringView(modelName: name, dueAt: request.dueAt, skipped: "no production model named '\(name)'"))
        }
        let drift = try measureDrift(settings?.detectDrift ?? DetectDrift(modelName: name), model: model, envelope, context)
        let fresh = drift.view.verdict == .insufficientData ? nil : (id: drift.view.reportId, report: drift.view.report)
        let policy = RetrainingPolicy(settings?.policy)
        let decision = try decideRetraining(model: model, policy: policy, latestDrift: fresh, envelope, context)

        var run: Recordable<RetrainingRunView, Bool>?
        var notStarted: String?
        if decision.view.retrain {
            if let settings, settings.retrain ?? true {
                let fired = decision.view.reasons.filter { $0.triggered && $0.kind != .cooldown }.map(\.kind.rawValue)
                let request = RunRetraining(modelName: name, reason: "monitor: \(fired.joined(separator: ", "))", cooldownHours: policy.cooldownHours)
                do {
                    run = try prepareRun(request, champion: model, envelope, context)
                } catch let problem as Problem where problem.status == 409 {
                    notStarted = problem.detail
                }
            } else {
                notStarted = settings == nil ? "no schedule: a pass by hand starts no run" : "the schedule says retrain: false"
            }
        }
        return StageOutcome { database in
            try drift.record(database)
            try decision.record(database)
            var events = drift.events
            var started: RetrainingRunView?
            var notStarted = notStarted
            if let run {
                if try run.record(database) {
                    started = run.view
                    events += run.events
                } else {
                    notStarted = "another retraining run of \(name) started at the same time"
                }
            }
            let view = MonitoringView(
                modelName: name, dueAt: request.dueAt, drift: drift.view, decision: decision.view, run: started, runNotStarted: notStarted)
            try database.execute(
                "UPDATE monitoring_schedules SET last_run_at = now(), last_outcome = $3::jsonb WHERE tenant_id = $1 AND model_name = $2",
                [tenant, name, try JSONColumn.text(view.summary(messageId: envelope.messageId))]
            )
            return try StageOutcome.Settlement(body: view, events: events)
        }
    }

    /// Claims the due schedules and queues a monitor pass for each through the outbox, in one transaction. The
    /// pass's message id derives from the schedule and the time it came due, so a pass is queued once; ticks
    /// missed while no drift monitor ran collapse into one.
    func runDue(on database: PostgresConnection, outbox: Outbox, commandExchange: String) throws -> Int {
        try database.withTransaction { database in
            let due = try database.execute(
                """
                SELECT tenant_id, model_name,
                       \(SQLTimestamp.iso8601("next_due_at")) AS due_at
                FROM monitoring_schedules WHERE enabled AND next_due_at <= now()
                ORDER BY next_due_at LIMIT $1 FOR UPDATE SKIP LOCKED
                """,
                [String(Self.schedulesPerPass)]
            )
            var passes: [Envelope] = []
            for row in due.rows {
                let (tenant, name, dueAt) = (try row.string("tenant_id"), try row.string("model_name"), try row.string("due_at"))
                passes.append(Envelope(
                    kind: .mutation, name: Operations.runMonitoring.rawValue, version: 1,
                    messageId: EntityID.derived(.message, tenant: tenant, messageId: "monitoring:\(name)", timestamp: dueAt, purpose: "pass"),
                    timestamp: Date(), tenantId: tenant, payload: try JSONValue.encode(RunMonitoring(modelName: name, dueAt: dueAt))
                ))
                try database.execute(
                    """
                    UPDATE monitoring_schedules SET next_due_at = CASE
                        WHEN next_due_at + make_interval(mins => every_minutes) > now() THEN next_due_at + make_interval(mins => every_minutes)
                        ELSE now() + make_interval(mins => every_minutes) END
                    WHERE tenant_id = $1 AND model_name = $2
                    """,
                    [tenant, name]
                )
            }
            try outbox.insert(passes, exchange: commandExchange, on: database)
            return passes.count
        }
    }
}

struct ScheduleView: Codable {
    let modelName: String
    let everyMinutes: Int
    let enabled: Bool
    let retrain: Bool
    /// nil while paused.
    let nextDueAt: String?
    let settings: ScheduleMonitoring
}

/// What one monitor pass did: the drift report, the decision and the run it started (or why none started).
struct MonitoringView: Codable {
    let modelName: String
    let dueAt: String?
    var drift: DriftView?
    var decision: RetrainingDecisionView?
    var run: RetrainingRunView?
    var runNotStarted: String?
    var skipped: String?

    init(
        modelName: String, dueAt: String?, drift: DriftView? = nil, decision: RetrainingDecisionView? = nil, run: RetrainingRunView? = nil,
        runNotStarted: String? = nil, skipped: String? = nil
    ) {
        self.modelName = modelName
        self.dueAt = dueAt
        self.drift = drift
        self.decision = decision
        self.run = run
        self.runNotStarted = runNotStarted
        self.skipped = skipped
    }

    /// The few fields kept on the schedule as its last outcome.
    func summary(messageId: String) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["messageId": .string(messageId)]
        if let drift { fields["driftReportId"] = .string(drift.reportId); fields["verdict"] = .string(drift.verdict.rawValue) }
        if let decision { fields["decisionId"] = .string(decision.decisionId); fields["retrain"] = .bool(decision.retrain) }
        if let run { fields["runId"] = .string(run.runId) }
        if let runNotStarted { fields["runNotStarted"] = .string(runNotStarted) }
        return fields
    }
}

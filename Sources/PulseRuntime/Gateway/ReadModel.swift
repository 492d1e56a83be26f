import Foundation
import PulseContracts
import PulseStorage

/// Answers the catalog's queries straight from PostgreSQL, one function per query, always scoped to a tenant.
/// Documents are built by PostgreSQL (`json_build_object`), so a column that holds a secret (`sealed_config`)
/// is never selected. A row that does not exist is a 404 `Problem` naming the id field at fault.
struct ReadModel: Sendable {
    private typealias Answer = @Sendable (ReadModel, PostgresConnection, _ tenant: String, _ payload: JSONValue) throws -> JSONValue

    /// The query table: operation name → typed decode + the function that answers it.
    private static let answers: [String: Answer] = Dictionary(uniqueKeysWithValues: [
        entry(Operations.getDataSource) { try $0.dataSource($3, tenant: $2, on: $1) },
        entry(Operations.listDataSources) { model, database, tenant, _ in try model.dataSources(tenant: tenant, on: database) },
        entry(Operations.getExtractionJob) { try $0.extractionJob($3, tenant: $2, on: $1) },
        entry(Operations.traceLineage) { try $0.lineage($3, tenant: $2, on: $1) },
        entry(Operations.getModel) { try $0.model($3, tenant: $2, on: $1) },
        entry(Operations.getDatasetVersion) { try $0.datasetVersion($3, tenant: $2, on: $1) },
        entry(Operations.getRetrainingRun) { try $0.retrainingRun($3, tenant: $2, on: $1) },
        entry(Operations.getModelPerformance) { try $0.modelPerformance($3, tenant: $2, on: $1) },
        entry(Operations.getMonitoring) { try $0.monitoring($3, tenant: $2, on: $1) },
    ])

    private static func entry<Body: Payload>(
        _ operation: OperationName<Body>,
        _ run: @escaping @Sendable (ReadModel, PostgresConnection, String, Body) throws -> JSONValue
    ) -> (String, Answer) {
        (operation.rawValue, { model, database, tenant, payload in
            let body = try payload.decode(Body.self, pointerPrefix: "/payload")
            try body.validate(pointer: "/payload")
            return try run(model, database, tenant, body)
        })
    }

    /// True when `name` is a query this read model answers.
    static func canAnswer(_ name: String) -> Bool { answers[name] != nil }

    /// Answers the query `name` with its (not yet decoded) payload.
    func answer(_ name: String, payload: JSONValue, tenant: String, on database: PostgresConnection) throws -> JSONValue {
        guard let answer = Self.answers[name] else { throw Problem.unknownOperation(name) }
        return try answer(self, database, tenant, payload)
    }

    // MARK: - Queries

    /// `pulse.datasource.get.v1` (never the sealed connection config).
    func dataSource(_ reference: DataSourceReference, tenant: String, on database: PostgresConnection) throws -> JSONValue {
        let document = try fetch(
            "SELECT \(Self.dataSourceObject) AS doc FROM datasources WHERE tenant_id = $1 AND id = $2",
            [tenant, reference.dataSourceId], on: database
        )
        guard let document else { throw Problem.notFound("datasource \(reference.dataSourceId)", pointer: "/payload/dataSourceId") }
        return document
    }

    /// `pulse.datasource.list.v1`: `{"items": [...]}`, oldest first.
    func dataSources(tenant: String, on database: PostgresConnection) throws -> JSONValue {
        try fetch(
            """
            SELECT json_build_object('items', coalesce(json_agg(\(Self.dataSourceObject) ORDER BY created_at, id), '[]'::json)) AS doc
            FROM datasources WHERE tenant_id = $1
            """,
            [tenant], on: database
        ) ?? .object(["items": .array([])])
    }

    /// `pulse.extraction-job.get.v1`
    func extractionJob(_ reference: ExtractionReference, tenant: String, on database: PostgresConnection) throws -> JSONValue {
        let document = try fetch(
            """
            SELECT json_build_object(
                'extractionId', id, 'dataSourceId', datasource_id, 'view', view_name, 'status', status,
                'attempts', attempts, 'request', request, 'cursorAfter', cursor_after, 'cursorUpTo', cursor_up_to,
                'cursorMin', cursor_min, 'cursorMax', cursor_max, 'rowCount', row_count, 'columns', columns,
                'parts', parts, 'error', error, 'runId', run_id,
                'progress', json_build_object(
                    'rowsDone', rows_done, 'partsDone', parts_done, 'rowsPlanned', rows_planned,
                    'resumedFromRows', resumed_from_rows, 'checkpointedAt', \(Self.timestamp("checkpointed_at"))),
                'createdAt', \(Self.timestamp("created_at")), 'finishedAt', \(Self.timestamp("finished_at"))
            ) AS doc
            FROM extraction_jobs WHERE tenant_id = $1 AND id = $2
            """,
            [tenant, reference.extractionId], on: database
        )
        guard let document else { throw Problem.notFound("extraction \(reference.extractionId)", pointer: "/payload/extractionId") }
        return document
    }

    /// `pulse.model.get.v1`: the model with its evaluations and the promotion decisions about it or that replaced it.
    func model(_ reference: ModelReference, tenant: String, on database: PostgresConnection) throws -> JSONValue {
        let document = try fetch(
            """
            SELECT json_build_object(
                'modelId', m.id, 'name', m.name, 'version', m.version, 'stage', m.stage,
                'trainingJobId', m.training_job_id, 'datasetVersionId', m.dataset_version_id,
                'datasetId', v.dataset_id, 'datasetVersion', v.version,
                'featureSpec', m.feature_spec, 'trainingConfig', m.training_config, 'holdoutMetrics', m.holdout_metrics,
                'createdAt', \(Self.timestamp("m.created_at")), 'stageChangedAt', \(Self.timestamp("m.stage_changed_at")),
                'evaluations', (
                    SELECT coalesce(json_agg(json_build_object(
                        'evaluationId', e.id, 'championId', e.champion_id, 'metrics', e.metrics,
                        'championMetrics', e.champion_metrics, 'holdoutRows', e.holdout_rows, 'runId', e.run_id,
                        'createdAt', \(Self.timestamp("e.created_at"))) ORDER BY e.created_at, e.id), '[]'::json)
                    FROM evaluations e WHERE e.model_id = m.id),
                'promotions', (
                    SELECT coalesce(json_agg(json_build_object(
                        'promotionId', p.id, 'decision', p.decision, 'reason', p.reason, 'policy', p.policy,
                        'evidence', p.evidence, 'previousModelId', p.previous_model_id, 'runId', p.run_id,
                        'actor', p.actor, 'note', p.note, 'evaluationId', p.evaluation_id,
                        'createdAt', \(Self.timestamp("p.created_at"))) ORDER BY p.created_at, p.id), '[]'::json)
                    FROM promotions p
                    -- its own decisions, and the moves that took production from it
                    WHERE p.model_id = m.id OR (p.previous_model_id = m.id AND p.decision IN ('promoted', 'rollback')))
            ) AS doc
            FROM models m JOIN dataset_versions v ON v.id = m.dataset_version_id
            WHERE m.tenant_id = $1 AND m.id = $2
            """,
            [tenant, reference.modelId], on: database
        )
        guard let document else { throw Problem.notFound("model \(reference.modelId)", pointer: "/payload/modelId") }
        return document
    }

    /// `pulse.dataset.version.get.v1`: the version with its manifest and the extractions it froze.
    func datasetVersion(_ reference: DatasetVersionReference, tenant: String, on database: PostgresConnection) throws -> JSONValue {
        let document = try fetch(
            """
            SELECT json_build_object(
                'datasetVersionId', v.id, 'datasetId', v.dataset_id, 'datasetName', d.name, 'version', v.version,
                'contentHash', v.content_hash, 'rowCount', v.row_count, 'manifestKey', v.manifest_key, 'manifest', v.manifest,
                'extractionIds', (
                    SELECT coalesce(json_agg(x.extraction_id ORDER BY x.position), '[]'::json)
                    FROM dataset_version_extractions x WHERE x.dataset_version_id = v.id),
                'createdAt', \(Self.timestamp("v.created_at"))
            ) AS doc
            FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
            WHERE v.tenant_id = $1 AND v.dataset_id = $2 AND v.version = $3
            """,
            [tenant, reference.datasetId, String(reference.version)], on: database
        )
        if let document { return document }
        let dataset = try database.execute("SELECT 1 FROM datasets WHERE tenant_id = $1 AND id = $2", [tenant, reference.datasetId])
        if dataset.rows.isEmpty { throw Problem.notFound("dataset \(reference.datasetId)", pointer: "/payload/datasetId") }
        throw Problem.notFound("version \(reference.version) of dataset \(reference.datasetId)", pointer: "/payload/version")
    }

    /// `pulse.retraining.run.get.v1`
    func retrainingRun(_ reference: RetrainingRunReference, tenant: String, on database: PostgresConnection) throws -> JSONValue {
        let document = try fetch(
            """
            SELECT json_build_object(
                'runId', id, 'modelName', model_name, 'championId', champion_id, 'status', status, 'reason', reason,
                'config', config, 'extractionId', extraction_id, 'datasetVersionId', dataset_version_id,
                'candidateModelId', candidate_model_id, 'outcome', outcome, 'forced', forced,
                'createdAt', \(Self.timestamp("created_at")), 'finishedAt', \(Self.timestamp("finished_at"))
            ) AS doc
            FROM retraining_runs WHERE tenant_id = $1 AND id = $2
            """,
            [tenant, reference.runId], on: database
        )
        guard let document else { throw Problem.notFound("retraining run \(reference.runId)", pointer: "/payload/runId") }
        return document
    }

    /// `pulse.model.performance.get.v1`: live metrics of the production model of a name over its latest feedback.
    func modelPerformance(_ request: GetModelPerformance, tenant: String, on database: PostgresConnection) throws -> JSONValue {
        let production = try database.execute(
            "SELECT id FROM models WHERE tenant_id = $1 AND name = $2 AND stage = 'production'", [tenant, request.modelName]
        )
        guard let modelId = production.rows.first?["id"] else {
            throw Problem.notFound("a production model named '\(request.modelName)'", pointer: "/payload/modelName")
        }
        let performance = try LivePerformance.measure(
            modelId: modelId, modelName: request.modelName, tenant: tenant, window: request.window ?? GetModelPerformance.defaultWindow,
            on: database)
        return try JSONValue.parse(try JSONCodec.encode(performance))
    }

    /// `pulse.monitoring.get.v1`: the schedule as set, when it is next due, and the last pass's outcome.
    func monitoring(_ reference: MonitoringReference, tenant: String, on database: PostgresConnection) throws -> JSONValue {
        let document = try fetch(
            """
            SELECT json_build_object(
                'modelName', model_name, 'everyMinutes', every_minutes, 'enabled', enabled, 'settings', settings,
                'nextDueAt', CASE WHEN enabled THEN \(Self.timestamp("next_due_at")) END,
                'lastRunAt', \(Self.timestamp("last_run_at")), 'lastOutcome', last_outcome,
                'createdAt', \(Self.timestamp("created_at")), 'updatedAt', \(Self.timestamp("updated_at"))) AS doc
            FROM monitoring_schedules WHERE tenant_id = $1 AND model_name = $2
            """,
            [tenant, reference.modelName], on: database
        )
        guard let document else { throw Problem.notFound("a monitoring schedule for '\(reference.modelName)'", pointer: "/payload/modelName") }
        return document
    }

    /// `pulse.lineage.trace.v1`: from a prediction back to the model, dataset version, extractions and
    /// datasources it came from, plus every recorded lineage edge upstream of it.
    func lineage(_ reference: TraceLineage, tenant: String, on database: PostgresConnection) throws -> JSONValue {
        let document = try fetch(
            """
            SELECT json_build_object(
                'prediction', json_build_object(
                    'predictionId', p.id, 'modelId', p.model_id, 'messageId', p.message_id, 'rowKey', p.row_key,
                    'score', p.score, 'inputs', p.inputs, 'createdAt', \(Self.timestamp("p.created_at")),
                    'feedback', (
                        SELECT json_build_object('feedbackId', f.id, 'outcome', f.outcome, 'createdAt', \(Self.timestamp("f.created_at")))
                        FROM feedback f WHERE f.prediction_id = p.id)),
                'model', json_build_object(
                    'modelId', m.id, 'name', m.name, 'version', m.version, 'stage', m.stage, 'trainingJobId', m.training_job_id),
                'datasetVersion', json_build_object(
                    'datasetVersionId', v.id, 'datasetId', v.dataset_id, 'version', v.version,
                    'contentHash', v.content_hash, 'rowCount', v.row_count),
                'extractions', (
                    SELECT coalesce(json_agg(json_build_object(
                        'extractionId', e.id, 'dataSourceId', e.datasource_id, 'view', e.view_name,
                        'cursorMin', e.cursor_min, 'cursorMax', e.cursor_max, 'rowCount', e.row_count) ORDER BY x.position), '[]'::json)
                    FROM dataset_version_extractions x JOIN extraction_jobs e ON e.id = x.extraction_id
                    WHERE x.dataset_version_id = v.id),
                'dataSources', (
                    SELECT coalesce(json_agg(json_build_object('dataSourceId', d.id, 'name', d.name, 'kind', d.kind) ORDER BY d.id), '[]'::json)
                    FROM datasources d
                    WHERE d.id IN (
                        SELECT e.datasource_id FROM dataset_version_extractions x JOIN extraction_jobs e ON e.id = x.extraction_id
                        WHERE x.dataset_version_id = v.id)),
                'edges', (
                    WITH RECURSIVE upstream (from_kind, from_id, to_kind, to_id, relation) AS (
                        SELECT l.from_kind, l.from_id, l.to_kind, l.to_id, l.relation
                        FROM lineage_edges l WHERE l.tenant_id = $1 AND l.to_id = p.id
                        UNION
                        SELECT l.from_kind, l.from_id, l.to_kind, l.to_id, l.relation
                        FROM lineage_edges l JOIN upstream u ON l.to_id = u.from_id WHERE l.tenant_id = $1)
                    SELECT coalesce(json_agg(json_build_object(
                        'fromKind', from_kind, 'fromId', from_id, 'toKind', to_kind, 'toId', to_id, 'relation', relation)
                        ORDER BY to_id, from_id), '[]'::json)
                    FROM upstream)
            ) AS doc
            FROM predictions p
            JOIN models m ON m.id = p.model_id
            JOIN dataset_versions v ON v.id = m.dataset_version_id
            WHERE p.tenant_id = $1 AND p.id = $2
            """,
            [tenant, reference.predictionId], on: database
        )
        guard let document else { throw Problem.notFound("prediction \(reference.predictionId)", pointer: "/payload/predictionId") }
        return document
    }

    /// What a worker did with a message (`GET /operations/:messageId`), from the inbox; nil when not processed yet.
    func processedOperation(messageId: String, tenant: String, on database: PostgresConnection) throws -> JSONValue? {
        try fetch(
            """
            SELECT json_build_object(
                'messageId', message_id, 'operation', operation, 'status', 'processed', 'replyStatus', status,
                'reply', reply, 'processedAt', \(Self.timestamp("processed_at"))
            ) AS doc
            FROM inbox WHERE tenant_id = $1 AND message_id = $2
            ORDER BY processed_at LIMIT 1
            """,
            [tenant, messageId], on: database
        )
    }

    // MARK: - Helpers

    private static let dataSourceObject = """
        json_build_object(
            'dataSourceId', id, 'name', name, 'kind', kind, 'allowlist', allowlist, 'status', status,
            'validation', validation, 'createdAt', \(timestamp("created_at")), 'updatedAt', \(timestamp("updated_at")))
        """

    /// ISO-8601 UTC with milliseconds, like `Timestamp.format`.
    private static func timestamp(_ column: String) -> String { SQLTimestamp.iso8601(column) }

    /// Runs a statement returning at most one `doc` column of JSON text.
    private func fetch(_ sql: String, _ parameters: [String?], on database: PostgresConnection) throws -> JSONValue? {
        let result = try database.execute(sql, parameters)
        guard let text = result.rows.first?["doc"] else { return nil }
        return try JSONValue.parse(Data(text.utf8))
    }
}

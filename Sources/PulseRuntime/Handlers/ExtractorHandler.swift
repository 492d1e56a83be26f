import Foundation
import PulseConnectors
import PulseContracts
import PulseCore
import PulseStorage

/// Registers and validates datasources and extracts allowlisted views by cursor into the object store.
public struct ExtractorHandler: StageHandler {
    public let stage = Stage.extractor
    public let accepts: Set<String> = [
        Operations.registerDataSource.rawValue, Operations.validateDataSource.rawValue, Operations.extractSQL.rawValue,
        Operations.retrainingRequested.rawValue,
    ]
    /// Rows per object-store part when the request does not say.
    public var defaultChunkRows = 100_000

    public init() {}

    public func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome {
        switch envelope.name {
        case Operations.registerDataSource.rawValue:
            return try register(envelope.payload(as: Operations.registerDataSource), envelope, context)
        case Operations.validateDataSource.rawValue:
            return try validate(envelope.payload(as: Operations.validateDataSource), envelope, context)
        case Operations.extractSQL.rawValue:
            return try extract(envelope.payload(as: Operations.extractSQL), runId: nil, envelope, context)
        default:
            let event = try envelope.payload(as: Operations.retrainingRequested)
            guard let request = event.extract else { return .ignored("retraining run \(event.runId) carries no extraction") }
            return try extract(request, runId: event.runId, envelope, context)
        }
    }

    public func recordFailure(_ envelope: Envelope, reason: String, context: StageContext) throws -> [OutgoingEvent] {
        guard envelope.name == Operations.extractSQL.rawValue || envelope.name == Operations.retrainingRequested.rawValue else { return [] }
        let id = Self.extractionId(for: envelope)
        let result = try context.database.execute(
            "UPDATE extraction_jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status <> 'completed' RETURNING datasource_id, run_id",
            [id, reason]
        )
        guard let row = result.rows.first else { return [] }
        if let runId = row["run_id"] {
            try context.database.execute(
                "UPDATE retraining_runs SET status = 'failed', outcome = $2, finished_at = now() WHERE id = $1 AND status = 'running'",
                [runId, "extraction failed: \(reason)"]
            )
        }
        return [try OutgoingEvent(
            Operations.extractionFailed,
            ExtractionEvent(extractionId: id, dataSourceId: try row.string("datasource_id"), status: "failed", reason: reason, runId: row["run_id"])
        )]
    }

    static func extractionId(for envelope: Envelope) -> String {
        EntityID.derived(.extraction, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
    }

    // MARK: register / validate

    private func register(_ request: RegisterDataSource, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let existing = try context.database.execute(
            "SELECT id FROM datasources WHERE tenant_id = $1 AND name = $2", [envelope.tenantId, request.name]
        )
        if let id = existing.rows.first?["id"] {
            throw Problem.conflict("a datasource named '\(request.name)' already exists (\(id))")
        }
        let id = EntityID.derived(.dataSource, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let connection = try TransitSealing.connection(of: request, tenant: envelope.tenantId, sealer: context.sealer)
        let sealed = try context.sealer.seal(
            try JSONCodec.encode(connection),
            associatedData: StoredDataSource.associatedData(tenant: envelope.tenantId, id: id)
        )
        let allowlist = request.allowlist
        let body = DataSourceView(id: id, name: request.name, kind: request.kind, allowlist: allowlist, status: "registered")
        return try StageOutcome(body: body, events: [try OutgoingEvent(Operations.dataSourceRegistered, DataSourceEvent(dataSourceId: id, status: "registered"))]) { database in
            try database.execute(
                """
                INSERT INTO datasources (id, tenant_id, name, kind, sealed_config, allowlist, status)
                VALUES ($1, $2, $3, $4, $5, $6::text[], 'registered')
                """,
                [id, envelope.tenantId, request.name, request.kind, sealed, PostgresArray.literal(allowlist)]
            )
        }
    }

    private func validate(_ request: DataSourceReference, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let source = try StoredDataSource.load(id: request.dataSourceId, tenant: envelope.tenantId, pointer: "/payload/dataSourceId", on: context.database)
        var report: [String: JSONValue] = [:]
        let status: String
        do {
            let described = try source.connector(sealer: context.sealer).validate()
            status = "valid"
            var objects: [String: JSONValue] = [:]
            for (name, columns) in described {
                objects[name.description] = .array(columns.map { .string("\($0.name) \($0.databaseType)") })
            }
            report["objects"] = .object(objects)
        } catch let error as ConnectorError {
            status = "invalid"
            report["error"] = .string(error.description)
        }
        report["checkedAt"] = .string(Timestamp.format(Date()))
        let validation = JSONValue.object(report)
        let body = DataSourceView(id: source.id, name: source.name, kind: "postgres", allowlist: source.allowlist, status: status, validation: validation)
        return try StageOutcome(body: body, events: [try OutgoingEvent(Operations.dataSourceValidated, DataSourceEvent(dataSourceId: source.id, status: status))]) { database in
            try database.execute(
                "UPDATE datasources SET status = $2, validation = $3::jsonb, updated_at = now() WHERE id = $1",
                [source.id, status, String(decoding: CanonicalJSON.data(validation), as: UTF8.self)]
            )
        }
    }

    // MARK: extract

    private func extract(_ request: ExtractSQL, runId: String?, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let source = try StoredDataSource.load(id: request.dataSourceId, tenant: envelope.tenantId, pointer: "/payload/dataSourceId", on: context.database)
        try source.requireAllowed(request.view, pointer: "/payload/view")
        if let join = request.join { try source.requireAllowed(join.view, pointer: "/payload/join/view") }

        // The host holds this message's handling lock, so no other delivery of it runs meanwhile: the job's checkpoint
        // is ours to resume from, and to extend at every part boundary where that is safe.
        let id = Self.extractionId(for: envelope)
        var after = request.after
        if request.incremental == true {
            let last = try context.database.execute(
                """
                SELECT cursor_max FROM extraction_jobs WHERE tenant_id = $1 AND datasource_id = $2 AND view_name = $3
                  AND status = 'completed' AND cursor_max IS NOT NULL ORDER BY cursor_max DESC LIMIT 1
                """,
                [envelope.tenantId, source.id, request.view]
            )
            after = last.rows.first?["cursor_max"]
        }
        // A job that exists already keeps the lower bound its first attempt stored: an incremental extraction
        // retried after another one completed must not move its window (nor can a resumed one).
        let job = try context.database.execute(
            """
            INSERT INTO extraction_jobs (id, tenant_id, datasource_id, view_name, request, status, attempts, cursor_after, cursor_up_to, run_id)
            VALUES ($1, $2, $3, $4, $5::jsonb, 'running', 1, $6, $7, $8)
            ON CONFLICT (id) DO UPDATE SET status = 'running', attempts = extraction_jobs.attempts + 1, error = NULL, finished_at = NULL
              WHERE extraction_jobs.status <> 'completed'
            RETURNING cursor_after
            """,
            [id, envelope.tenantId, source.id, request.view, try JSONColumn.text(request), after, request.upTo, runId]
        )
        guard let stored = job.rows.first else {
            // Completed by another delivery whose reply the inbox did not have yet (defensive: the host looks there
            // after taking the handling lock, and a delivery commits before it lets the lock go).
            throw StageError("extraction \(id) was completed by another delivery; the retry is answered from the inbox", disposition: .retry)
        }
        after = stored["cursor_after"]

        let checkpoints = CheckpointStore(database: context.database, extractionId: id)
        let (writer, checkpoint) = try makeWriter(
            for: try checkpoints.load(), checkpoints: checkpoints, rowsPerPart: request.chunkRows ?? defaultChunkRows,
            keyPrefix: "tenants/\(envelope.tenantId)/extractions/\(id)", context: context
        )
        let connector = try source.connector(sealer: context.sealer)
        let extraction = ExtractionRequest(
            object: try SourceObjectName(parsing: request.view), cursorColumn: request.cursorColumn, keyColumn: request.keyColumn,
            join: try request.join.map { ExtractionRequest.Join(object: try SourceObjectName(parsing: $0.view), key: $0.key, columns: $0.columns) },
            after: after, upTo: request.upTo, resumeAfter: checkpoint?.position
        )
        let started = Date()
        let plan: ExtractionPlan
        do {
            plan = try connector.extract(extraction, onPlan: { plan in
                try begin(plan, checkpoint: checkpoint, request: request, writer: writer, checkpoints: checkpoints, context: context)
            }, onRow: { row in
                try writer.append(row)
            })
        } catch let error as ConnectorError where error.code == .notAllowlisted || error.code == .unknownColumn || error.code == .invalidIdentifier {
            writer.abort()
            try context.database.execute("DELETE FROM extraction_jobs WHERE id = $1 AND status = 'running'", [id])
            throw Problem.invalidField(pointer: "/payload/" + (error.field ?? "view"), detail: error.message)
        } catch {
            writer.abort()
            throw error
        }
        let digest = try writer.finish()
        try removeStrayParts(after: writer, objects: context.objects)

        let rowCount = writer.rowCount
        // A resumed plan saw only the rows after the checkpoint: the range starts where the first attempt's did, and
        // ends at the checkpoint when nothing came after it.
        let cursorMin = checkpoint.map { $0.cursorMin } ?? plan.cursorMin
        let cursorMax = plan.cursorMax ?? checkpoint?.position.cursor
        let columns = plan.columns.map { DatasetColumn(name: $0.name, type: $0.type.rawValue, databaseType: $0.databaseType) }
        let summary = ExtractionSummary(
            extractionId: id, dataSourceId: source.id, view: request.view, status: "completed", rowCount: rowCount,
            cursorAfter: after, cursorUpTo: request.upTo, cursorMin: cursorMin, cursorMax: cursorMax,
            parts: writer.parts, rowDigest: digest, columns: columns, seconds: Date().timeIntervalSince(started), runId: runId
        )
        let event = ExtractionEvent(
            extractionId: id, dataSourceId: source.id, status: "completed", rowCount: rowCount, cursorMin: cursorMin,
            cursorMax: cursorMax, runId: runId
        )
        context.logger.info("extraction finished", [
            "pulse.extraction_id": id, "pulse.rows": String(rowCount), "pulse.parts": String(writer.parts.count),
            "pulse.resumed_from_rows": String(checkpoint?.rowCount ?? 0),
        ])
        return try StageOutcome(body: summary, events: [try OutgoingEvent(Operations.extractionCompleted, event)]) { database in
            try database.execute(
                """
                UPDATE extraction_jobs SET status = 'completed', row_count = $2, cursor_min = $3, cursor_max = $4,
                  columns = $5::jsonb, parts = $6::jsonb, finished_at = now(), error = NULL, rows_done = $2, parts_done = $7
                WHERE id = $1
                """,
                [id, String(rowCount), cursorMin, cursorMax, try JSONColumn.text(columns), try JSONColumn.text(summary.storedParts),
                 String(writer.parts.count)]
            )
            // The completed job lists every part itself; the checkpoint's copy is no longer needed.
            try database.execute("DELETE FROM extraction_checkpoint_parts WHERE extraction_id = $1", [id])
            try database.link(tenant: envelope.tenantId, from: ("datasource", source.id), to: ("extraction", id), relation: "extracted")
            if let runId {
                try database.execute("UPDATE retraining_runs SET extraction_id = $2 WHERE id = $1", [runId, id])
            }
        }
    }

    /// A part writer that continues after `checkpoint`, or starts from nothing when there is none or its parts do
    /// not verify (then the checkpoint is discarded). Returns the checkpoint the writer continues from.
    private func makeWriter(
        for checkpoint: ExtractionCheckpoint?, checkpoints: CheckpointStore, rowsPerPart: Int, keyPrefix: String, context: StageContext
    ) throws -> (PartWriter, ExtractionCheckpoint?) {
        guard let checkpoint else {
            return (PartWriter(objects: context.objects, keyPrefix: keyPrefix, rowsPerPart: rowsPerPart), nil)
        }
        // The first attempt's part size, so the resumed parts are cut where an uninterrupted run would cut them.
        let writer = PartWriter(objects: context.objects, keyPrefix: keyPrefix, rowsPerPart: checkpoint.rowsPerPart)
        do {
            try writer.resume(columns: checkpoint.columns.map(\.name), after: checkpoint.parts)
            return (writer, checkpoint)
        } catch let error as StageError {
            context.logger.warning("checkpoint unusable; extracting from the beginning", ["error": error.description])
            try checkpoints.discard()
            return (PartWriter(objects: context.objects, keyPrefix: keyPrefix, rowsPerPart: rowsPerPart), nil)
        }
    }

    /// Called with the source's plan, before the first row: records the start (or the resumption) and arms the
    /// checkpoint taken at every part boundary.
    private func begin(
        _ plan: ExtractionPlan, checkpoint: ExtractionCheckpoint?, request: ExtractSQL, writer: PartWriter, checkpoints: CheckpointStore,
        context: StageContext
    ) throws {
        let columns = plan.columns.map { DatasetColumn(name: $0.name, type: $0.type.rawValue, databaseType: $0.databaseType) }
        // The cursor and key are columns of the base view, which come first (a join cannot repeat a name).
        guard let cursorIndex = plan.columns.firstIndex(where: { $0.name == request.cursorColumn }),
              let keyIndex = plan.columns.firstIndex(where: { $0.name == request.keyColumn })
        else {
            throw StageError("the source's plan lacks the cursor or key column")
        }
        let log = context.logger.with(["pulse.extraction_id": checkpoints.extractionId])
        if let checkpoint {
            guard checkpoint.columns == columns else {
                try checkpoints.discard()
                throw StageError("the source's columns changed since the checkpoint; the next attempt starts from the beginning", disposition: .retry)
            }
            try checkpoints.recordResume(from: checkpoint, rowsRemaining: plan.rowCount)
            log.info("extraction resumed", [
                "pulse.rows_done": String(checkpoint.rowCount), "pulse.parts_done": String(checkpoint.parts.count),
                "pulse.rows_planned": String(checkpoint.rowCount + plan.rowCount),
            ])
        } else {
            writer.start(columns: plan.columns.map(\.name))
            try checkpoints.recordStart(columns: columns, cursorMin: plan.cursorMin, rowsPerPart: writer.rowsPerPart, rowsPlanned: plan.rowCount)
            log.info("extraction started", ["pulse.rows_planned": String(plan.rowCount)])
        }
        let boundary = CheckpointBoundary(cursorIndex: cursorIndex, keyIndex: keyIndex)
        writer.onPartBoundary = { [unowned writer] lastRow, nextRow in
            guard let position = try boundary.position(after: lastRow, next: Data(nextRow)) else {
                log.info("no checkpoint at this part boundary: the next row ties with the last one", ["pulse.parts_done": String(writer.parts.count)])
                return
            }
            try checkpoints.commit(parts: writer.parts, position: position)
            log.info("extraction checkpoint", ["pulse.rows_done": String(writer.rowCount), "pulse.parts_done": String(writer.parts.count)])
        }
    }

    /// Deletes parts past the last one of this extraction: written by an earlier attempt after its last checkpoint
    /// and not rewritten (the source had fewer rows this time). They are in no dataset either way.
    private func removeStrayParts(after writer: PartWriter, objects: any ObjectStore) throws {
        var index = writer.parts.count
        while objects.exists(writer.key(ofPart: index)) {
            try objects.delete(writer.key(ofPart: index))
            index += 1
        }
    }
}

/// What the extractor answers and stores about a finished extraction.
struct ExtractionSummary: Codable {
    struct StoredParts: Codable {
        let rowDigest: String
        let parts: [DatasetPart]
    }

    let extractionId: String
    let dataSourceId: String
    let view: String
    let status: String
    let rowCount: Int
    let cursorAfter: String?
    let cursorUpTo: String?
    let cursorMin: String?
    let cursorMax: String?
    let parts: [DatasetPart]
    let rowDigest: String
    let columns: [DatasetColumn]
    let seconds: Double
    let runId: String?

    var storedParts: StoredParts { StoredParts(rowDigest: rowDigest, parts: parts) }
}

/// A datasource as the API shows it: never the connection config.
struct DataSourceView: Codable {
    let id: String
    let name: String
    let kind: String
    let allowlist: [String]
    let status: String
    var validation: JSONValue? = nil
}

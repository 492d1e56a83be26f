import Foundation
import PulseContracts
import PulseCore
import PulseStorage

/// Freezes completed extractions as the next immutable, content-hashed version of a dataset.
public struct SnapshotterHandler: StageHandler {
    public let stage = Stage.snapshotter
    public let accepts: Set<String> = [Operations.createSnapshot.rawValue, Operations.extractionCompleted.rawValue]

    public init() {}

    public func handle(_ envelope: Envelope, context: StageContext) throws -> StageOutcome {
        if envelope.name == Operations.createSnapshot.rawValue {
            return try snapshot(envelope.payload(as: Operations.createSnapshot), runId: nil, envelope, context)
        }
        let event = try envelope.payload(as: Operations.extractionCompleted)
        guard let runId = event.runId else { return .ignored("extraction \(event.extractionId) is not part of a retraining run") }
        let run = try RetrainingRunRecord.load(runId, tenant: envelope.tenantId, on: context.database)
        let request = CreateSnapshot(datasetName: run.config.datasetName, extractionIds: run.config.baseExtractionIds + [event.extractionId])
        return try snapshot(request, runId: runId, envelope, context)
    }

    private struct Extraction {
        let id: String
        let dataSourceId: String
        let request: ExtractSQL
        let rowCount: Int
        let cursorMin: String?
        let cursorMax: String?
        let columns: [DatasetColumn]
        let stored: ExtractionSummary.StoredParts
    }

    private func loadExtractions(_ ids: [String], tenant: String, on database: PostgresConnection) throws -> [Extraction] {
        try ids.enumerated().map { index, id in
            let pointer = "/payload/extractionIds/\(index)"
            let result = try database.execute(
                """
                SELECT id, datasource_id, request::text AS request, status, row_count, cursor_min, cursor_max,
                       columns::text AS columns, parts::text AS parts
                FROM extraction_jobs WHERE id = $1 AND tenant_id = $2
                """,
                [id, tenant]
            )
            guard let row = result.rows.first else { throw Problem.notFound("extraction \(id)", pointer: pointer) }
            let status = try row.string("status")
            guard status == "completed" else {
                throw Problem.invalidField(pointer: pointer, detail: "extraction \(id) is \(status); only completed extractions can be snapshotted")
            }
            return Extraction(
                id: id, dataSourceId: try row.string("datasource_id"), request: try JSONColumn.decode(ExtractSQL.self, row["request"]),
                rowCount: try row.int("row_count"), cursorMin: row["cursor_min"], cursorMax: row["cursor_max"],
                columns: try JSONColumn.decode([DatasetColumn].self, row["columns"]),
                stored: try JSONColumn.decode(ExtractionSummary.StoredParts.self, row["parts"])
            )
        }
    }

    private func snapshot(_ request: CreateSnapshot, runId: String?, _ envelope: Envelope, _ context: StageContext) throws -> StageOutcome {
        let extractions = try loadExtractions(request.extractionIds, tenant: envelope.tenantId, on: context.database)
        guard let first = extractions.first else { throw Problem.invalidField(pointer: "/payload/extractionIds", detail: "must name at least one extraction") }
        for (index, extraction) in extractions.enumerated().dropFirst() {
            guard extraction.columns == first.columns, extraction.request.view == first.request.view,
                extraction.dataSourceId == first.dataSourceId
            else {
                throw Problem.invalidField(pointer: "/payload/extractionIds/\(index)", detail: "has a different source or schema than \(first.id)")
            }
        }

        let existing = try context.database.execute(
            "SELECT id FROM datasets WHERE tenant_id = $1 AND name = $2", [envelope.tenantId, request.datasetName]
        )
        let datasetId = existing.rows.first?["id"]
            ?? EntityID.derived(.dataset, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)
        let latest = try context.database.execute(
            "SELECT coalesce(max(version), 0) AS version FROM dataset_versions WHERE dataset_id = $1", [datasetId]
        )
        let version = (try latest.rows.first?.int("version") ?? 0) + 1
        let versionId = EntityID.derived(.datasetVersion, tenant: envelope.tenantId, messageId: envelope.messageId, timestamp: envelope.timestamp)

        let rowCount = extractions.reduce(0) { $0 + $1.rowCount }
        let manifest = DatasetManifest(
            format: DatasetManifest.formatName, datasetId: datasetId, datasetName: request.datasetName, datasetVersionId: versionId,
            version: version, columns: first.columns, rowCount: rowCount,
            cursorMin: extractions.compactMap(\.cursorMin).first, cursorMax: extractions.compactMap(\.cursorMax).last,
            source: DatasetSource(
                dataSourceId: first.dataSourceId, view: first.request.view, cursorColumn: first.request.cursorColumn,
                keyColumn: first.request.keyColumn, join: first.request.join
            ),
            extractionIds: request.extractionIds, parts: extractions.flatMap(\.stored.parts),
            contentHash: try DatasetManifest.contentHash(columns: first.columns, rowDigests: extractions.map(\.stored.rowDigest), rowCount: rowCount),
            createdAt: Timestamp.format(Date())
        )
        let manifestKey = "tenants/\(envelope.tenantId)/datasets/\(datasetId)/\(versionId)/manifest.json"
        let manifestText = try JSONColumn.text(manifest)
        try context.objects.put(manifestKey, Data(manifestText.utf8))

        let event = SnapshotEvent(datasetId: datasetId, datasetVersion: version, contentHash: manifest.contentHash, rowCount: rowCount, runId: runId)
        let body = SnapshotView(
            datasetId: datasetId, datasetName: request.datasetName, datasetVersionId: versionId, version: version,
            rowCount: rowCount, contentHash: manifest.contentHash, manifestKey: manifestKey, parts: manifest.parts.count,
            cursorMin: manifest.cursorMin, cursorMax: manifest.cursorMax
        )
        return try StageOutcome(body: body, events: [try OutgoingEvent(Operations.snapshotCreated, event)]) { database in
            try database.execute(
                "INSERT INTO datasets (id, tenant_id, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
                [datasetId, envelope.tenantId, request.datasetName]
            )
            // Serialises concurrent snapshots of one dataset; a version taken meanwhile means try again.
            let current = try database.execute(
                "SELECT coalesce(max(version), 0) AS version FROM dataset_versions WHERE dataset_id = $1 AND pg_advisory_xact_lock(hashtext($1)) IS NOT NULL",
                [datasetId]
            )
            guard (try current.rows.first?.int("version") ?? 0) + 1 == version else {
                throw StageError("dataset \(datasetId) got a new version while this snapshot was prepared", disposition: .retry)
            }
            try database.execute(
                """
                INSERT INTO dataset_versions (id, tenant_id, dataset_id, version, content_hash, row_count, manifest_key, manifest)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
                """,
                [versionId, envelope.tenantId, datasetId, String(version), manifest.contentHash, String(rowCount), manifestKey, manifestText]
            )
            for (position, extraction) in extractions.enumerated() {
                try database.execute(
                    "INSERT INTO dataset_version_extractions (dataset_version_id, extraction_id, position) VALUES ($1, $2, $3)",
                    [versionId, extraction.id, String(position)]
                )
                try database.link(tenant: envelope.tenantId, from: ("extraction", extraction.id), to: ("dataset_version", versionId), relation: "snapshotted")
            }
            if let runId {
                try database.execute("UPDATE retraining_runs SET dataset_version_id = $2 WHERE id = $1", [runId, versionId])
            }
        }
    }
}

struct SnapshotView: Codable {
    let datasetId: String
    let datasetName: String
    let datasetVersionId: String
    let version: Int
    let rowCount: Int
    let contentHash: String
    let manifestKey: String
    let parts: Int
    let cursorMin: String?
    let cursorMax: String?
}

import Foundation
import PulseConnectors
import PulseContracts
import PulseCore
import PulseStorage

/// What an interrupted extraction keeps: the parts finished and committed so far and the position of their last
/// row, plus what the first attempt decided and a resumed one must reuse to produce the same parts.
struct ExtractionCheckpoint: Equatable {
    var columns: [DatasetColumn]
    var rowsPerPart: Int
    /// The smallest cursor of the first attempt's plan (a resumed plan only sees the rows after the position).
    var cursorMin: String?
    var parts: [DatasetPart]
    var rowCount: Int
    var position: ExtractionRequest.Position
}

/// Reads and writes one extraction's checkpoint and progress (`extraction_jobs` and `extraction_checkpoint_parts`,
/// migration 0003). Each write is its own short transaction on the worker's connection while the extraction runs,
/// so a checkpoint survives whatever happens to the attempt afterwards.
struct CheckpointStore {
    let database: PostgresConnection
    let extractionId: String

    /// The committed checkpoint, or nil when the extraction has none (or one that does not add up: then it is
    /// discarded and the extraction starts from the beginning).
    func load() throws -> ExtractionCheckpoint? {
        let job = try database.execute(
            """
            SELECT resume_cursor, resume_key, rows_done, parts_done, rows_per_part, cursor_min, columns::text AS columns
            FROM extraction_jobs WHERE id = $1
            """,
            [extractionId]
        )
        guard let row = job.rows.first, let cursor = row["resume_cursor"] else { return nil }
        let parts = try database.execute(
            """
            SELECT position, object_key, row_count, sha256, compressed_bytes FROM extraction_checkpoint_parts
            WHERE extraction_id = $1 ORDER BY position
            """,
            [extractionId]
        ).rows
        let rowCount = try row.int("rows_done")
        guard let rowsPerPart = Int(row["rows_per_part"] ?? ""), let columnsText = row["columns"], !parts.isEmpty,
              parts.count == (try row.int("parts_done")),
              try parts.enumerated().allSatisfy({ index, part in try part.int("position") == index }),
              try parts.reduce(0, { $0 + (try $1.int("row_count")) }) == rowCount
        else {
            try discard()
            return nil
        }
        return ExtractionCheckpoint(
            columns: try JSONColumn.decode([DatasetColumn].self, columnsText), rowsPerPart: rowsPerPart, cursorMin: row["cursor_min"],
            parts: try parts.map { part in
                DatasetPart(key: try part.string("object_key"), rows: try part.int("row_count"), sha256: try part.string("sha256"),
                            compressedBytes: try part.int("compressed_bytes"))
            },
            rowCount: rowCount, position: ExtractionRequest.Position(cursor: cursor, key: row["resume_key"])
        )
    }

    /// A fresh attempt has its plan: what every later attempt must reuse, and nothing done yet.
    func recordStart(columns: [DatasetColumn], cursorMin: String?, rowsPerPart: Int, rowsPlanned: Int) throws {
        try database.withTransaction { database in
            try database.execute("DELETE FROM extraction_checkpoint_parts WHERE extraction_id = $1", [extractionId])
            try database.execute(
                """
                UPDATE extraction_jobs SET columns = $2::jsonb, cursor_min = $3, rows_per_part = $4, rows_planned = $5,
                  rows_done = 0, parts_done = 0, resume_cursor = NULL, resume_key = NULL, resumed_from_rows = 0,
                  checkpointed_at = NULL
                WHERE id = $1
                """,
                [extractionId, try JSONColumn.text(columns), cursorMin, String(rowsPerPart), String(rowsPlanned)]
            )
        }
    }

    /// A resumed attempt has its plan for the rows after the checkpoint.
    func recordResume(from checkpoint: ExtractionCheckpoint, rowsRemaining: Int) throws {
        try database.execute(
            "UPDATE extraction_jobs SET rows_planned = $2, resumed_from_rows = $3 WHERE id = $1",
            [extractionId, String(checkpoint.rowCount + rowsRemaining), String(checkpoint.rowCount)]
        )
    }

    /// Commits `parts` (every finished part, in order; those already committed are skipped) and the position of
    /// the last row of the last one.
    func commit(parts: [DatasetPart], position: ExtractionRequest.Position) throws {
        let rowCount = parts.reduce(0) { $0 + $1.rows }
        try database.withTransaction { database in
            let committed = try database.execute(
                "SELECT count(*) AS n FROM extraction_checkpoint_parts WHERE extraction_id = $1", [extractionId]
            ).rows.first?.int("n") ?? 0
            for (index, part) in parts.enumerated().dropFirst(committed) {
                try database.execute(
                    """
                    INSERT INTO extraction_checkpoint_parts (extraction_id, position, object_key, row_count, sha256, compressed_bytes)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    """,
                    [extractionId, String(index), part.key, String(part.rows), part.sha256, String(part.compressedBytes)]
                )
            }
            let updated = try database.execute(
                """
                UPDATE extraction_jobs SET rows_done = $2, parts_done = $3, resume_cursor = $4, resume_key = $5, checkpointed_at = now()
                WHERE id = $1 AND status = 'running'
                """,
                [extractionId, String(rowCount), String(parts.count), position.cursor, position.key]
            )
            guard updated.affectedRows == 1 else {
                throw StageError("extraction \(extractionId) is no longer running; its checkpoint was not taken", disposition: .retry)
            }
        }
    }

    /// Forgets the checkpoint: the next attempt starts from the beginning (its parts overwrite the old objects).
    func discard() throws {
        try database.withTransaction { database in
            try database.execute("DELETE FROM extraction_checkpoint_parts WHERE extraction_id = $1", [extractionId])
            try database.execute(
                """
                UPDATE extraction_jobs SET rows_done = 0, parts_done = 0, resume_cursor = NULL, resume_key = NULL, checkpointed_at = NULL
                WHERE id = $1
                """,
                [extractionId]
            )
        }
    }
}

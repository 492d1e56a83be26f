import Foundation
import PulseConnectors
import PulseML

/// Where an extraction may resume after a finished part: the (cursor, key) of the part's last row, unless the next
/// row ties with it. Rows come `ORDER BY cursor, key` (NULL keys last in a cursor group); a resumed attempt asks for
/// rows strictly after the position, so a row equal to it on both columns (a duplicate key, or a second NULL key
/// with the same cursor) would be skipped. At such a boundary no checkpoint is taken; the next boundary will do.
struct CheckpointBoundary {
    /// Positions of the cursor and key columns in the CSV rows.
    let cursorIndex: Int
    let keyIndex: Int

    /// The resume position after `lastRow`, or nil when `nextRow` ties with it.
    func position(after lastRow: Data, next nextRow: Data) throws -> ExtractionRequest.Position? {
        let last = try position(of: lastRow)
        let next = try position(of: nextRow)
        // Text equality stands in for value equality: PostgreSQL prints equal values of a column the same way
        // (numeric with different scales, e.g. 1.0 and 1.00, is the exception, and no sane cursor or key).
        return next == last ? nil : last
    }

    /// The cursor and key of one COPY CSV row (a NULL is an unquoted empty field).
    func position(of row: Data) throws -> ExtractionRequest.Position {
        var fields: [String?] = []
        try CSVReader.parse(row) { record in
            if fields.isEmpty { fields = record }
        }
        guard fields.indices.contains(cursorIndex), fields.indices.contains(keyIndex), let cursor = fields[cursorIndex] else {
            throw StageError("a source row has no cursor value at column \(cursorIndex + 1)")
        }
        return ExtractionRequest.Position(cursor: cursor, key: fields[keyIndex])
    }
}

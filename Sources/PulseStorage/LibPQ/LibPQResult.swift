internal import CLibPQ

/// Owns one `PGresult` and clears it exactly once.
///
/// Not Sendable: it lives on the thread that ran the statement and is copied into Swift values before returning.
final class LibPQResult {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        PQclear(pointer)
    }

    var status: ExecStatusType { PQresultStatus(pointer) }

    /// A diagnostic field such as `PG_DIAG_SQLSTATE` ('C') or `PG_DIAG_MESSAGE_PRIMARY` ('M').
    func errorField(_ field: UInt8) -> String? {
        guard let value = PQresultErrorField(pointer, Int32(field)) else { return nil }
        return String(cString: value)
    }

    /// Copies the rows into a `QueryResult` (text format).
    func makeQueryResult() -> QueryResult {
        let columnCount = Int(PQnfields(pointer))
        let rowCount = Int(PQntuples(pointer))
        var columns: [String] = []
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            columns.append(PQfname(pointer, Int32(column)).map { String(cString: $0) } ?? "?column?")
        }
        var index: [String: Int] = [:]
        for (position, name) in columns.enumerated() where index[name] == nil {
            index[name] = position
        }
        var rows: [Row] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(pointer, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else if let value = PQgetvalue(pointer, Int32(row), Int32(column)) {
                    let length = Int(PQgetlength(pointer, Int32(row), Int32(column)))
                    let bytes = UnsafeRawBufferPointer(start: value, count: length)
                    values.append(String(decoding: bytes, as: UTF8.self))
                } else {
                    values.append(nil)
                }
            }
            rows.append(Row(columnIndex: index, values: values))
        }
        let tag = PQcmdStatus(pointer).map { String(cString: $0) } ?? ""
        let affected = PQcmdTuples(pointer).flatMap { Int(String(cString: $0)) } ?? 0
        return QueryResult(columns: columns, rows: rows, affectedRows: affected, commandTag: tag)
    }
}

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

extension StorageError {
    /// Builds the error for a failed statement, reading libpq's state on the failing thread.
    ///
    /// Only the SQLSTATE and the primary message are kept: the DETAIL field can echo row values.
    static func fromLibPQ(connection: OpaquePointer, result: LibPQResult?, context: String, file: String = #fileID, line: Int = #line) -> StorageError {
        if PQstatus(connection) == CONNECTION_BAD {
            return StorageError(.connectionFailed, "\(context): connection to PostgreSQL lost",
                                underlying: LibPQConnectionMessage.read(connection), file: file, line: line)
        }
        let sqlState = result?.errorField(UInt8(ascii: "C"))
        let primary = result?.errorField(UInt8(ascii: "M")) ?? LibPQConnectionMessage.read(connection) ?? "unknown error"
        let code: Code = sqlState == "23505" ? .uniqueViolation : .queryFailed
        return StorageError(code, "\(context): \(primary)", sqlState: sqlState, file: file, line: line)
    }
}

/// Reads `PQerrorMessage` as one trimmed line.
enum LibPQConnectionMessage {
    static func read(_ connection: OpaquePointer) -> String? {
        guard let raw = PQerrorMessage(connection) else { return nil }
        let text = String(cString: raw).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.isEmpty ? nil : text
    }
}

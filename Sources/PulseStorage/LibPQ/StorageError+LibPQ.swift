internal import CLibPQ

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

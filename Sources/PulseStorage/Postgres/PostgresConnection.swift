import Foundation
internal import CLibPQ

/// One blocking libpq connection.
///
/// `@unchecked Sendable` because its owner may hand it to another thread, but it must be used by one thread at a
/// time (libpq's rule for a `PGconn`); every call blocks the calling thread until the server answers.
public final class PostgresConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var savepointDepth = 0

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Connects with a libpq URI (`postgresql://…`) or keyword/value string. Settings in `url` win over
    /// the defaults passed here (`application_name`, `connect_timeout` 10 s, UTF-8 client encoding).
    public static func connect(url: String, applicationName: String = "pulse") throws -> PostgresConnection {
        let keywords = ["client_encoding", "connect_timeout", "application_name", "dbname"]
        let values = ["UTF8", "10", applicationName, url]
        let connection = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw StorageError(.connectionFailed, "could not allocate a PostgreSQL connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = LibPQConnectionMessage.read(connection)
            PQfinish(connection)
            throw StorageError(.connectionFailed, "could not connect to PostgreSQL", underlying: reason)
        }
        return PostgresConnection(handle: connection)
    }

    /// Runs one statement. With parameters it uses `PQexecParams` (`$1…$n`, text format, `nil` = NULL);
    /// without, `PQexec`, which also accepts several statements separated by semicolons (migrations).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws -> QueryResult {
        let connection = try openHandle()
        let raw: OpaquePointer?
        if parameters.isEmpty {
            raw = PQexec(connection, sql)
        } else {
            raw = withOptionalCStringArray(parameters) { pointers in
                PQexecParams(connection, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
            }
        }
        let result = raw.map(LibPQResult.init)
        switch result?.status {
        case PGRES_COMMAND_OK?, PGRES_TUPLES_OK?, PGRES_EMPTY_QUERY?:
            return result.map { $0.makeQueryResult() } ?? QueryResult(columns: [], rows: [], affectedRows: 0)
        case PGRES_COPY_IN?, PGRES_COPY_OUT?, PGRES_COPY_BOTH?:
            drainCopy(connection)
            throw StorageError(.queryFailed, "COPY must run through copyIn or copyOut")
        default:
            throw StorageError.fromLibPQ(connection: connection, result: result, context: "statement failed")
        }
    }

    /// Runs `body` in a transaction: `BEGIN [ISOLATION LEVEL …] [READ ONLY]`, the `SET LOCAL`s the options ask
    /// for, then `COMMIT`; `ROLLBACK` when `body` throws (the error is rethrown).
    ///
    /// Called inside another transaction, it uses a savepoint instead; the isolation and read-only options
    /// are then those of the outer transaction.
    public func withTransaction<T>(_ options: TransactionOptions = .init(), _ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try openHandle()
        if PQtransactionStatus(connection) != PQTRANS_IDLE {
            return try withSavepoint(options, body)
        }
        try execute("BEGIN ISOLATION LEVEL \(options.isolation.sql)\(options.readOnly ? " READ ONLY" : "")")
        do {
            try applyLocalSettings(options)
            let value = try body(self)
            let commit = try execute("COMMIT")
            if commit.commandTag == "ROLLBACK" {
                throw StorageError(.queryFailed, "transaction was rolled back: a statement in it failed")
            }
            return value
        } catch {
            if PQtransactionStatus(connection) != PQTRANS_IDLE {
                _ = try? execute("ROLLBACK")
            }
            throw error
        }
    }

    private func withSavepoint<T>(_ options: TransactionOptions, _ body: (PostgresConnection) throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "pulse_savepoint_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        do {
            try applyLocalSettings(options)
            let value = try body(self)
            try execute("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            _ = try? execute("ROLLBACK TO SAVEPOINT \(name)")
            throw error
        }
    }

    private func applyLocalSettings(_ options: TransactionOptions) throws {
        if let timeout = options.statementTimeout {
            let (seconds, attoseconds) = timeout.components
            let milliseconds = max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
            try execute("SET LOCAL statement_timeout = \(milliseconds)")
        }
        if options.timeZoneUTC {
            try execute("SET LOCAL TimeZone = 'UTC'")
        }
    }

    /// Runs a `COPY (…) TO STDOUT …` and calls `onRow` once per buffer libpq returns (one row each).
    /// If `onRow` throws, the COPY is cancelled, the connection drained, and the error rethrown.
    /// Returns the number of rows.
    public func copyOut(_ sql: String, onRow: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let connection = try openHandle()
        try startCopy(connection, sql, expecting: PGRES_COPY_OUT)
        var rows = 0
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(connection, &buffer, 0)
            if length > 0, let buffer {
                defer { PQfreemem(buffer) }
                do {
                    try onRow(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
                } catch {
                    cancelRunningStatement(connection)
                    drainCopy(connection)
                    throw error
                }
                rows += 1
            } else if length == -1 {
                break
            } else {
                let failure = StorageError.fromLibPQ(connection: connection, result: nil, context: "COPY TO STDOUT failed")
                drainCopy(connection)
                throw failure
            }
        }
        try finishCopy(connection, context: "COPY TO STDOUT failed")
        return rows
    }

    /// Runs a `COPY … FROM STDIN …` and streams whatever `produce` writes. If `produce` throws, the COPY is
    /// aborted (nothing is stored) and the error rethrown.
    public func copyIn(_ sql: String, _ produce: (_ write: (Data) throws -> Void) throws -> Void) throws {
        let connection = try openHandle()
        try startCopy(connection, sql, expecting: PGRES_COPY_IN)
        do {
            try produce { data in
                guard !data.isEmpty else { return }
                var offset = data.startIndex
                while offset < data.endIndex {
                    let end = data.index(offset, offsetBy: min(data.endIndex - offset, 1 << 20))
                    let sent = data[offset..<end].withUnsafeBytes { bytes in
                        PQputCopyData(connection, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
                    }
                    guard sent == 1 else {
                        throw StorageError.fromLibPQ(connection: connection, result: nil, context: "COPY FROM STDIN failed")
                    }
                    offset = end
                }
            }
        } catch {
            _ = PQputCopyEnd(connection, "aborted by the client")
            drainCopy(connection)
            throw error
        }
        guard PQputCopyEnd(connection, nil) == 1 else {
            let failure = StorageError.fromLibPQ(connection: connection, result: nil, context: "COPY FROM STDIN failed")
            drainCopy(connection)
            throw failure
        }
        try finishCopy(connection, context: "COPY FROM STDIN failed")
    }

    /// Quotes a string as an SQL literal (`PQescapeLiteral`), for the rare statement that cannot take parameters.
    public func escapeLiteral(_ value: String) throws -> String {
        let connection = try openHandle()
        let utf8 = Array(value.utf8)
        guard let escaped = utf8.withUnsafeBufferPointer({ buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQescapeLiteral(connection, $0.baseAddress, $0.count) }
        }) else {
            throw StorageError(.invalidValue, "could not escape a literal", underlying: LibPQConnectionMessage.read(connection))
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Quotes a string as an SQL identifier (`PQescapeIdentifier`).
    public func escapeIdentifier(_ value: String) throws -> String {
        let connection = try openHandle()
        let utf8 = Array(value.utf8)
        guard let escaped = utf8.withUnsafeBufferPointer({ buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQescapeIdentifier(connection, $0.baseAddress, $0.count) }
        }) else {
            throw StorageError(.invalidValue, "could not escape an identifier", underlying: LibPQConnectionMessage.read(connection))
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Closes the connection; later calls throw `.connectionFailed`. Calling it twice is harmless.
    public func close() {
        if let handle {
            PQfinish(handle)
            self.handle = nil
        }
    }

    // MARK: - libpq plumbing

    private func openHandle() throws -> OpaquePointer {
        guard let handle else {
            throw StorageError(.connectionFailed, "the PostgreSQL connection is closed")
        }
        return handle
    }

    private func startCopy(_ connection: OpaquePointer, _ sql: String, expecting expected: ExecStatusType) throws {
        let result = PQexec(connection, sql).map(LibPQResult.init)
        guard result?.status == expected else {
            if let status = result?.status, status == PGRES_COPY_IN || status == PGRES_COPY_OUT {
                drainCopy(connection)
                throw StorageError(.queryFailed, "COPY runs in the other direction than requested")
            }
            if result?.status == PGRES_COMMAND_OK || result?.status == PGRES_TUPLES_OK {
                throw StorageError(.queryFailed, "statement is not a COPY")
            }
            throw StorageError.fromLibPQ(connection: connection, result: result, context: "COPY failed")
        }
    }

    /// Reads the results that follow a COPY; the first failure wins.
    private func finishCopy(_ connection: OpaquePointer, context: String) throws {
        var failure: StorageError?
        while let raw = PQgetResult(connection) {
            let result = LibPQResult(raw)
            if result.status != PGRES_COMMAND_OK, failure == nil {
                failure = StorageError.fromLibPQ(connection: connection, result: result, context: context)
            }
        }
        if let failure { throw failure }
    }

    /// Brings the connection back to idle after an interrupted COPY, discarding what is left.
    private func drainCopy(_ connection: OpaquePointer) {
        while let raw = PQgetResult(connection) {
            let result = LibPQResult(raw)
            switch result.status {
            case PGRES_COPY_OUT:
                var buffer: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(connection, &buffer, 0) > 0 {
                    PQfreemem(buffer)
                    buffer = nil
                }
            case PGRES_COPY_IN:
                _ = PQputCopyEnd(connection, "aborted by the client")
            default:
                break
            }
            if PQstatus(connection) == CONNECTION_BAD { return }
        }
    }

    private func cancelRunningStatement(_ connection: OpaquePointer) {
        guard let cancel = PQgetCancel(connection) else { return }
        defer { PQfreeCancel(cancel) }
        var errorBuffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &errorBuffer, Int32(errorBuffer.count))
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the duration of the call.
private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStringArray(strings.map(Optional.some), body)
}

private func withOptionalCStringArray<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } } + [nil])
}

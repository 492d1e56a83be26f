import PulseStorage

/// Reads allowlisted tables and views of a PostgreSQL source, read-only.
///
/// Every call opens its own connection (closed before returning) and works inside one `READ ONLY` transaction with
/// a statement timeout, so the source's own role settings are not the only guard. Object names are checked against
/// the allowlist before any connection is made; column names are checked against the catalog and quoted; cursor
/// bounds are sent as escaped literals.
public final class PostgresSourceConnector: Sendable {
    public let configuration: PostgresSourceConfiguration
    public let allowlist: Set<SourceObjectName>
    public let statementTimeout: Duration

    public init(configuration: PostgresSourceConfiguration, allowlist: Set<SourceObjectName>, statementTimeout: Duration = .seconds(300)) {
        self.configuration = configuration
        self.allowlist = allowlist
        self.statementTimeout = statementTimeout
    }

    /// Connects and describes every allowlisted object; fails naming the first one that is missing or unreadable.
    public func validate() throws -> [SourceObjectName: [SourceColumn]] {
        try withSource(isolation: .repeatableRead) { database in
            var described: [SourceObjectName: [SourceColumn]] = [:]
            for object in allowlist.sorted(by: { $0.description < $1.description }) {
                described[object] = try columns(of: object, field: "allowlist", on: database)
            }
            return described
        }
    }

    /// The columns of one allowlisted object, in table order.
    public func describe(_ object: SourceObjectName) throws -> [SourceColumn] {
        try requireAllowlisted(object, field: "view")
        return try withSource(isolation: .readCommitted) { database in
            try columns(of: object, field: "view", on: database)
        }
    }

    /// The columns, row count and cursor range `extract` would produce now, without reading the rows
    /// (e.g. to ask whether a source has new data since a cursor).
    public func plan(_ request: ExtractionRequest) throws -> ExtractionPlan {
        try requireAllowlisted(request)
        return try withSource(isolation: .repeatableRead) { database in
            try prepare(request, on: database).plan
        }
    }

    /// Streams the rows of `request` as RFC 4180 CSV lines without a header (one `onRow` call per row), ordered by
    /// cursor then key, after calling `onPlan` with the columns, count and cursor range of the same snapshot.
    /// With `resumeAfter`, the plan (count, cursor range) covers only the rows after that position.
    ///
    /// Rows whose cursor is NULL are never extracted: they belong to no cursor window.
    /// Errors thrown by `onPlan` / `onRow` are rethrown unchanged.
    @discardableResult
    public func extract(
        _ request: ExtractionRequest,
        onPlan: (ExtractionPlan) throws -> Void,
        onRow: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> ExtractionPlan {
        try requireAllowlisted(request)
        return try withSource(isolation: .repeatableRead) { database in
            let (plan, copy) = try prepare(request, on: database)
            try passThrough { try onPlan(plan) }
            let copied = try database.copyOut(copy) { row in
                try passThrough { try onRow(row) }
            }
            guard copied == plan.rowCount else {
                throw ConnectorError(.sourceRejected, "the source returned \(copied) rows where its plan counted \(plan.rowCount)")
            }
            return plan
        }
    }

    // MARK: - Internals

    private func requireAllowlisted(_ request: ExtractionRequest) throws {
        try requireAllowlisted(request.object, field: "view")
        if let join = request.join { try requireAllowlisted(join.object, field: "join/view") }
    }

    /// Checks the columns against the catalog, computes the plan and builds the COPY statement.
    private func prepare(_ request: ExtractionRequest, on database: PostgresConnection) throws -> (plan: ExtractionPlan, copy: String) {
        try database.execute("SET LOCAL DateStyle = 'ISO, YMD'")
        let base = try columns(of: request.object, field: "view", on: database)
        let baseNames = Set(base.map(\.name))
        guard baseNames.contains(request.cursorColumn) else {
            throw ConnectorError(.unknownColumn, "\(request.object) has no column \"\(Self.printable(request.cursorColumn))\"", field: "cursorColumn")
        }
        guard baseNames.contains(request.keyColumn) else {
            throw ConnectorError(.unknownColumn, "\(request.object) has no column \"\(Self.printable(request.keyColumn))\"", field: "keyColumn")
        }
        var output = base.map { (table: "s", column: $0) }
        var from = "\(request.object.quoted) AS s"
        if let join = request.join {
            let joined = try columns(of: join.object, field: "join/view", on: database)
            let joinedByName = Dictionary(joined.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            guard baseNames.contains(join.key), joinedByName[join.key] != nil else {
                throw ConnectorError(
                    .unknownColumn, "join key \"\(Self.printable(join.key))\" is not a column of both \(request.object) and \(join.object)",
                    field: "join/key"
                )
            }
            for (position, name) in join.columns.enumerated() {
                guard let column = joinedByName[name] else {
                    throw ConnectorError(.unknownColumn, "\(join.object) has no column \"\(Self.printable(name))\"", field: "join/columns/\(position)")
                }
                guard !output.contains(where: { $0.column.name == name }) else {
                    throw ConnectorError(.invalidRequest, "join column \"\(name)\" would appear twice in the output", field: "join/columns/\(position)")
                }
                output.append((table: "j", column: column))
            }
            from += " LEFT JOIN \(join.object.quoted) AS j USING (\(try database.escapeIdentifier(join.key)))"
        }

        let cursor = "s.\(try database.escapeIdentifier(request.cursorColumn))"
        let key = "s.\(try database.escapeIdentifier(request.keyColumn))"
        var conditions = ["\(cursor) IS NOT NULL"]
        if let after = request.after { conditions.append("\(cursor) > \(try database.escapeLiteral(after))") }
        if let upTo = request.upTo { conditions.append("\(cursor) <= \(try database.escapeLiteral(upTo))") }
        if let position = request.resumeAfter {
            conditions.append(try Self.keysetCondition(after: position, cursor: cursor, key: key, on: database))
        }
        let filter = "FROM \(from) WHERE \(conditions.joined(separator: " AND "))"

        let summary = try database.execute("SELECT count(*) AS n, min(\(cursor))::text AS lo, max(\(cursor))::text AS hi \(filter)")
        guard let row = summary.rows.first else {
            throw ConnectorError(.sourceRejected, "the source returned no plan row")
        }
        let plan = ExtractionPlan(columns: output.map(\.column), rowCount: try row.int("n"), cursorMin: row["lo"], cursorMax: row["hi"])
        let selected = try output.map { "\($0.table).\(try database.escapeIdentifier($0.column.name))" }.joined(separator: ", ")
        return (plan, "COPY (SELECT \(selected) \(filter) ORDER BY \(cursor), \(key)) TO STDOUT (FORMAT csv)")
    }

    /// Rows strictly after `position` in `ORDER BY cursor, key` (ascending, so NULL keys come last in a cursor
    /// group). Not a row comparison `(cursor, key) > (c, k)`: that is NULL for a NULL key and would drop those rows.
    /// The leading `cursor >= c` lets an index on the cursor narrow the scan.
    private static func keysetCondition(
        after position: ExtractionRequest.Position, cursor: String, key: String, on database: PostgresConnection
    ) throws -> String {
        let lastCursor = try database.escapeLiteral(position.cursor)
        guard let lastKey = position.key else {
            // After a NULL key nothing with the same cursor follows but other NULL keys (ties the caller excludes).
            return "\(cursor) > \(lastCursor)"
        }
        return "\(cursor) >= \(lastCursor) AND (\(cursor) > \(lastCursor) OR \(key) > \(try database.escapeLiteral(lastKey)) OR \(key) IS NULL)"
    }

    private func requireAllowlisted(_ object: SourceObjectName, field: String) throws {
        guard allowlist.contains(object) else {
            throw ConnectorError(.notAllowlisted, "\(object) is not on the datasource's allowlist", field: field)
        }
    }

    /// Connects, runs `body` in a READ ONLY transaction with the statement timeout and UTC, and maps storage errors.
    private func withSource<T>(isolation: TransactionOptions.Isolation, _ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            let connection = try PostgresConnection.connect(url: configuration.connectionURL(), applicationName: "pulse-connector")
            defer { connection.close() }
            let options = TransactionOptions(isolation: isolation, readOnly: true, statementTimeout: statementTimeout, timeZoneUTC: true)
            return try connection.withTransaction(options, body)
        } catch let failure as CallerFailure {
            throw failure.error
        } catch let error as StorageError {
            throw Self.map(error)
        }
    }

    private func columns(of object: SourceObjectName, field: String, on database: PostgresConnection) throws -> [SourceColumn] {
        let lookup = try database.execute(
            "SELECT r.oid::text AS oid, has_table_privilege(r.oid, 'SELECT') AS readable FROM (SELECT to_regclass($1)::oid AS oid) AS r",
            [object.quoted]
        )
        guard let found = lookup.rows.first, let oid = found["oid"] else {
            throw ConnectorError(.objectNotFound, "\(object) does not exist in the source", field: field)
        }
        guard found["readable"] == "t" else {
            throw ConnectorError(.sourceRejected, "the source role may not SELECT from \(object)", field: field)
        }
        let result = try database.execute(
            """
            SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS database_type, b.typname AS base_type
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            [oid]
        )
        return try result.rows.map { row in
            SourceColumn(
                name: try row.string("name"),
                type: SourceColumnType(postgresTypeName: try row.string("base_type")),
                databaseType: try row.string("database_type")
            )
        }
    }

    private static func map(_ error: StorageError) -> ConnectorError {
        if error.code == .connectionFailed {
            return ConnectorError(.sourceUnavailable, "the source is unavailable: \(error.message)")
        }
        if error.sqlState == "25006" {
            return ConnectorError(.readOnlyViolation, "the source refused a write: \(error.message)", sqlState: error.sqlState)
        }
        if error.disposition == .retry {
            return ConnectorError(.sourceUnavailable, "the source failed transiently: \(error.message)", sqlState: error.sqlState)
        }
        return ConnectorError(.sourceRejected, "the source rejected the query: \(error.message)", sqlState: error.sqlState)
    }

    private static func printable(_ text: String) -> String {
        SourceObjectName.printable(text)
    }
}

/// Carries an error thrown by a caller's closure through the storage-error mapping untouched.
private struct CallerFailure: Error {
    let error: any Error
}

private func passThrough(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        throw CallerFailure(error: error)
    }
}

import Foundation
import PulseConnectors
import PulseStorage
import Testing

@Suite("PostgresSourceConnector")
struct PostgresSourceConnectorTests {
    /// A source that cannot be reached: anything that tries to connect fails with `.sourceUnavailable`.
    static let unreachable = PostgresSourceConfiguration(host: "127.0.0.1", port: 1, database: "none", user: "nobody", password: "hunter2")

    // Expected CSV lines, written by hand from the rows SourceFixture inserts: ordered by dep_time then id (1 and 3
    // share 05:15), row 5 has no cursor; timestamps print in UTC, NULL as an empty field, quotes doubled (RFC 4180).
    static let row1 = "1,UA,2013-01-01 05:15:00+00,2.5,f,2013-01-01,\n"
    static let row3 = "3,B6,2013-01-01 05:15:00+00,,t,2013-01-01,\n"
    static let row2 = "2,AA,2013-01-01 05:29:00+00,-4,f,2013-01-01,\"late, \"\"very\"\"\"\n"
    static let row4 = "4,UA,2013-01-02 06:00:00+00,10,f,2013-01-02,\n"

    @Test func nonAllowlistedObjectsAreRefusedBeforeConnecting() throws {
        let allowed = try SourceObjectName(parsing: "src.v_flights")
        let connector = PostgresSourceConnector(configuration: Self.unreachable, allowlist: [allowed])
        for name in ["src.v_secret", "pg_catalog.pg_authid", "public.v_flights", "v_flights", "SRC.v_flights"] {
            let object = try SourceObjectName(parsing: name)
            let error = #expect(throws: ConnectorError.self) {
                try connector.extract(ExtractionRequest(object: object, cursorColumn: "id", keyColumn: "id"), onPlan: { _ in }, onRow: { _ in })
            }
            #expect(error?.code == .notAllowlisted)
            #expect(error?.field == "view")
            #expect(error?.message.contains(object.description) == true)
            #expect(throws: ConnectorError.self) { try connector.describe(object) }
        }
        let join = ExtractionRequest.Join(object: try SourceObjectName(parsing: "pg_catalog.pg_authid"), key: "id", columns: ["rolpassword"])
        let error = #expect(throws: ConnectorError.self) {
            try connector.extract(ExtractionRequest(object: allowed, cursorColumn: "id", keyColumn: "id", join: join), onPlan: { _ in }, onRow: { _ in })
        }
        #expect(error?.code == .notAllowlisted)
        #expect(error?.field == "join/view")
    }

    @Test func unreachableSourceIsRetryable() throws {
        let connector = PostgresSourceConnector(configuration: Self.unreachable, allowlist: [])
        let error = #expect(throws: ConnectorError.self) { try connector.validate() }
        #expect(error?.code == .sourceUnavailable)
        #expect(error?.disposition == .retry)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test(.enabled(if: SourceFixture.isAvailable))
    func validateDescribesEveryAllowlistedObject() throws {
        try SourceFixture.with { source in
            let described = try source.connector([source.flights, source.carriers]).validate()
            #expect(Set(described.keys) == [source.flights, source.carriers])
            #expect(described[source.flights] == [
                SourceColumn(name: "id", type: .integer, databaseType: "integer"),
                SourceColumn(name: "carrier", type: .text, databaseType: "text"),
                SourceColumn(name: "dep_time", type: .timestamp, databaseType: "timestamp with time zone"),
                SourceColumn(name: "delay", type: .double, databaseType: "double precision"),
                SourceColumn(name: "cancelled", type: .boolean, databaseType: "boolean"),
                SourceColumn(name: "flight_date", type: .date, databaseType: "date"),
                SourceColumn(name: "note", type: .text, databaseType: "text"),
            ])
            #expect(try source.connector([source.flights]).describe(source.flights).count == 7)
        }
    }

    @Test(.enabled(if: SourceFixture.isAvailable))
    func validateNamesMissingAndUnreadableObjects() throws {
        try SourceFixture.with { source in
            let missing = try SourceObjectName(schema: source.schema, name: "v_missing")
            let error = #expect(throws: ConnectorError.self) { try source.connector([source.flights, missing]).validate() }
            #expect(error?.code == .objectNotFound)
            #expect(error?.message.contains("v_missing") == true)

            let unreadable = #expect(throws: ConnectorError.self) { try source.connector([source.secret]).validate() }
            #expect(unreadable?.code == .sourceRejected)
            #expect(unreadable?.message.contains("v_secret") == true)
        }
    }

    @Test(.enabled(if: SourceFixture.isAvailable))
    func extractsEveryRowInCursorThenKeyOrder() throws {
        try SourceFixture.with { source in
            var planned: ExtractionPlan?
            var lines: [String] = []
            let plan = try source.connector([source.flights]).extract(
                ExtractionRequest(object: source.flights, cursorColumn: "dep_time", keyColumn: "id"),
                onPlan: { planned = $0 },
                onRow: { lines.append(String(decoding: $0, as: UTF8.self)) }
            )
            #expect(planned == plan)
            #expect(plan.rowCount == 4)
            #expect(plan.cursorMin == "2013-01-01 05:15:00+00")
            #expect(plan.cursorMax == "2013-01-02 06:00:00+00")
            #expect(plan.columns.map(\.name) == ["id", "carrier", "dep_time", "delay", "cancelled", "flight_date", "note"])
            #expect(lines == [Self.row1, Self.row3, Self.row2, Self.row4])
        }
    }

    @Test(.enabled(if: SourceFixture.isAvailable))
    func cursorBoundsAreExclusiveBelowAndInclusiveAbove() throws {
        try SourceFixture.with { source in
            let connector = source.connector([source.flights])
            func extract(after: String?, upTo: String?) throws -> (ExtractionPlan, [String]) {
                var lines: [String] = []
                let plan = try connector.extract(
                    ExtractionRequest(object: source.flights, cursorColumn: "dep_time", keyColumn: "id", after: after, upTo: upTo),
                    onPlan: { _ in }, onRow: { lines.append(String(decoding: $0, as: UTF8.self)) }
                )
                return (plan, lines)
            }
            let middle = try extract(after: "2013-01-01 05:15:00+00", upTo: "2013-01-01 05:29:00+00")
            #expect(middle.1 == [Self.row2])
            #expect(middle.0.rowCount == 1)
            #expect(middle.0.cursorMin == "2013-01-01 05:29:00+00")
            let planOnly = try connector.plan(ExtractionRequest(
                object: source.flights, cursorColumn: "dep_time", keyColumn: "id", after: "2013-01-01 05:15:00+00", upTo: "2013-01-01 05:29:00+00"
            ))
            #expect(planOnly == middle.0)
            #expect(try extract(after: nil, upTo: "2013-01-01 05:15:00+00").1 == [Self.row1, Self.row3])
            #expect(try extract(after: "2013-01-01 05:29:00+00", upTo: nil).1 == [Self.row4])
            let empty = try extract(after: "2013-01-02 06:00:00+00", upTo: nil)
            #expect(empty.1.isEmpty)
            #expect(empty.0.rowCount == 0)
            #expect(empty.0.cursorMax == nil)
        }
    }

    @Test(.enabled(if: SourceFixture.isAvailable))
    func resumingAfterAPositionGivesTheRestInTheSameOrderWithTiesAndNullKeys() throws {
        // Cursor flight_date (three rows share 2013-01-01, two share 2013-01-02), key delay (row 3's is NULL).
        // By hand from SourceFixture's rows, ORDER BY flight_date, delay (NULLs last in a group):
        // (01-01, -4) row 2, (01-01, 2.5) row 1, (01-01, NULL) row 3, (01-02, 0) row 5, (01-02, 10) row 4.
        // Row 5 has no dep_time but a flight_date, so it counts here.
        let row5 = "5,ZZ,,0,f,2013-01-02,no cursor\n"
        let order = [Self.row2, Self.row1, Self.row3, row5, Self.row4]
        try SourceFixture.with { source in
            let connector = source.connector([source.flights])
            func extract(after position: ExtractionRequest.Position?, upTo: String? = nil) throws -> (ExtractionPlan, [String]) {
                var lines: [String] = []
                let plan = try connector.extract(
                    ExtractionRequest(object: source.flights, cursorColumn: "flight_date", keyColumn: "delay", upTo: upTo, resumeAfter: position),
                    onPlan: { _ in }, onRow: { lines.append(String(decoding: $0, as: UTF8.self)) }
                )
                return (plan, lines)
            }
            #expect(try extract(after: nil).1 == order)
            // Each row's (cursor, key) as PostgreSQL prints it, and what must follow it.
            let positions: [(ExtractionRequest.Position, [String])] = [
                (.init(cursor: "2013-01-01", key: "-4"), Array(order[1...])),
                (.init(cursor: "2013-01-01", key: "2.5"), Array(order[2...])),   // the NULL key of the same day follows
                (.init(cursor: "2013-01-01", key: nil), Array(order[3...])),     // after a NULL key: the next day
                (.init(cursor: "2013-01-02", key: "0"), Array(order[4...])),
                (.init(cursor: "2013-01-02", key: "10"), []),
            ]
            for (position, rest) in positions {
                let (plan, lines) = try extract(after: position)
                #expect(lines == rest, "after \(position)")
                #expect(plan.rowCount == rest.count, "after \(position)")  // the plan counts the same rows
            }
            // The upper bound still holds on resume: January 1st only.
            #expect(try extract(after: .init(cursor: "2013-01-01", key: "-4"), upTo: "2013-01-01").1 == [Self.row1, Self.row3])
            // The position is sent as escaped literals, like the bounds.
            let smuggled = #expect(throws: ConnectorError.self) {
                try extract(after: .init(cursor: "2013-01-01", key: "0' OR '1'='1"))
            }
            #expect(smuggled?.sqlState == "22P02")  // invalid_text_representation for double precision
        }
    }

    @Test(.enabled(if: SourceFixture.isAvailable))
    func leftJoinAddsTheRequestedColumns() throws {
        try SourceFixture.with { source in
            var lines: [String] = []
            let join = ExtractionRequest.Join(object: source.carriers, key: "carrier", columns: ["name"])
            let plan = try source.connector([source.flights, source.carriers]).extract(
                ExtractionRequest(object: source.flights, cursorColumn: "dep_time", keyColumn: "id", join: join, upTo: "2013-01-01 05:29:00+00"),
                onPlan: { _ in }, onRow: { lines.append(String(decoding: $0, as: UTF8.self)) }
            )
            #expect(plan.columns.last == SourceColumn(name: "name", type: .text, databaseType: "text"))
            #expect(lines == [
                "1,UA,2013-01-01 05:15:00+00,2.5,f,2013-01-01,,United\n",
                "3,B6,2013-01-01 05:15:00+00,,t,2013-01-01,,\n",
                "2,AA,2013-01-01 05:29:00+00,-4,f,2013-01-01,\"late, \"\"very\"\"\",American\n",
            ])
        }
    }

    @Test(.enabled(if: SourceFixture.isAvailable))
    func unknownColumnsAndSmuggledBoundsAreRejected() throws {
        try SourceFixture.with { source in
            let connector = source.connector([source.flights, source.carriers])
            func attempt(_ request: ExtractionRequest) -> ConnectorError? {
                #expect(throws: ConnectorError.self) { try connector.extract(request, onPlan: { _ in }, onRow: { _ in }) }
            }
            let cursor = attempt(ExtractionRequest(object: source.flights, cursorColumn: "dep_time; DROP TABLE flights", keyColumn: "id"))
            #expect(cursor?.code == .unknownColumn)
            #expect(cursor?.field == "cursorColumn")
            let key = attempt(ExtractionRequest(object: source.flights, cursorColumn: "dep_time", keyColumn: "\"id\""))
            #expect(key?.code == .unknownColumn)
            #expect(key?.field == "keyColumn")
            let joinColumn = attempt(ExtractionRequest(
                object: source.flights, cursorColumn: "dep_time", keyColumn: "id",
                join: .init(object: source.carriers, key: "carrier", columns: ["name", "rolpassword"])
            ))
            #expect(joinColumn?.code == .unknownColumn)
            #expect(joinColumn?.field == "join/columns/1")
            // The bound is sent as an escaped literal: the quote makes it an invalid timestamp, not SQL.
            let smuggled = attempt(ExtractionRequest(object: source.flights, cursorColumn: "dep_time", keyColumn: "id", after: "2013-01-01' OR '1'='1"))
            #expect(smuggled?.code == .sourceRejected)
            #expect(smuggled?.sqlState == "22007")  // invalid_datetime_format
        }
    }

    @Test(.enabled(if: SourceFixture.isAvailable))
    func callbackErrorsPassThroughUnchanged() throws {
        struct Full: Error {}
        try SourceFixture.with { source in
            #expect(throws: Full.self) {
                try source.connector([source.flights]).extract(
                    ExtractionRequest(object: source.flights, cursorColumn: "dep_time", keyColumn: "id"),
                    onPlan: { _ in }, onRow: { _ in throw Full() }
                )
            }
            #expect(throws: StorageError.self) {
                try source.connector([source.flights]).extract(
                    ExtractionRequest(object: source.flights, cursorColumn: "dep_time", keyColumn: "id"),
                    onPlan: { _ in throw StorageError(.objectStore, "disk full") }, onRow: { _ in }
                )
            }
        }
    }

    @Test(.enabled(if: SourceFixture.isAvailable))
    func theReaderCannotWriteOrReadBeyondItsGrants() throws {
        try SourceFixture.with { source in
            let reader = try PostgresConnection.connect(url: source.reader.connectionURL())
            defer { reader.close() }
            #expect(try reader.execute("SELECT count(*) AS n FROM \(source.flights.quoted)").rows[0].int("n") == 5)

            let readOnly = #expect(throws: StorageError.self) {
                try reader.execute("INSERT INTO \(source.table.quoted) (id) VALUES (99)")
            }
            #expect(readOnly?.sqlState == "25006")  // read_only_sql_transaction: the role's default

            let denied = #expect(throws: StorageError.self) {
                try reader.withTransaction { connection in
                    try connection.execute("SET TRANSACTION READ WRITE")
                    try connection.execute("DELETE FROM \(source.flights.quoted)")
                }
            }
            #expect(denied?.sqlState == "42501")  // insufficient_privilege: SELECT is all it was granted

            let hidden = #expect(throws: StorageError.self) { try reader.execute("SELECT * FROM \(source.secret.quoted)") }
            #expect(hidden?.sqlState == "42501")
            #expect(try reader.execute("SELECT count(*) AS n FROM \(source.flights.quoted)").rows[0].int("n") == 5)
        }
    }
}

import Foundation
import PulseStorage
import Testing

@Suite("PostgresConnection", .enabled(if: TestDatabase.isAvailable))
struct PostgresConnectionTests {
    @Test func executeBindsParametersIncludingNullAndQuotes() throws {
        try TestDatabase.withSchema { connection, _ in
            try connection.execute("CREATE TABLE notes (id int PRIMARY KEY, body text, score double precision, ok boolean)")
            let tricky = "it's \"quoted\"; DROP TABLE notes; --"
            let insert = try connection.execute(
                "INSERT INTO notes VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)",
                ["1", tricky, "2.5", "t", "2", nil, nil, "false"]
            )
            #expect(insert.affectedRows == 2)
            let result = try connection.execute("SELECT id, body, score, ok FROM notes ORDER BY id")
            #expect(result.columns == ["id", "body", "score", "ok"])
            #expect(result.rows.count == 2)
            let first = try #require(result.rows.first)
            #expect(try first.int("id") == 1)
            #expect(try first.string("body") == tricky)
            #expect(try first.double("score") == 2.5)
            #expect(try first.bool("ok") == true)
            let second = result.rows[1]
            #expect(second["body"] == nil)
            #expect(second[2] == nil)
            #expect(try second.bool("ok") == false)
            #expect(throws: StorageError.self) { try second.string("body") }
            #expect(throws: StorageError.self) { try second.int("missing") }
        }
    }

    @Test func transactionRollsBackWhenBodyThrows() throws {
        struct Boom: Error {}
        try TestDatabase.withSchema { connection, _ in
            try connection.execute("CREATE TABLE items (id int PRIMARY KEY)")
            #expect(throws: Boom.self) {
                try connection.withTransaction { connection in
                    try connection.execute("INSERT INTO items VALUES ($1)", ["1"])
                    throw Boom()
                }
            }
            #expect(try connection.execute("SELECT count(*) AS n FROM items").rows[0].int("n") == 0)
            try connection.withTransaction { _ = try $0.execute("INSERT INTO items VALUES (2)") }
            #expect(try connection.execute("SELECT count(*) AS n FROM items").rows[0].int("n") == 1)
        }
    }

    @Test func transactionOptionsAreApplied() throws {
        try TestDatabase.withSchema { connection, _ in
            try connection.execute("CREATE TABLE items (id int)")
            let options = TransactionOptions(isolation: .repeatableRead, readOnly: true, statementTimeout: .milliseconds(1500), timeZoneUTC: true)
            let settings = try connection.withTransaction(options) { connection in
                try connection.execute("""
                    SELECT current_setting('transaction_isolation') AS iso, current_setting('transaction_read_only') AS ro,
                           current_setting('statement_timeout') AS timeout, current_setting('TimeZone') AS tz
                    """).rows[0]
            }
            #expect(settings["iso"] == "repeatable read")
            #expect(settings["ro"] == "on")
            #expect(settings["timeout"] == "1500ms")
            #expect(settings["tz"] == "UTC")
            let error = #expect(throws: StorageError.self) {
                try connection.withTransaction(options) { try $0.execute("INSERT INTO items VALUES (1)") }
            }
            #expect(error?.sqlState == "25006")  // read_only_sql_transaction
            #expect(error?.disposition == .deadLetter)
        }
    }

    @Test func commitOfAFailedTransactionThrows() throws {
        try TestDatabase.withSchema { connection, _ in
            try connection.execute("CREATE TABLE items (id int PRIMARY KEY)")
            #expect(throws: StorageError.self) {
                try connection.withTransaction { connection in
                    try connection.execute("INSERT INTO items VALUES (1)")
                    _ = try? connection.execute("INSERT INTO items VALUES (1)")  // error swallowed by the body
                }
            }
            #expect(try connection.execute("SELECT count(*) AS n FROM items").rows[0].int("n") == 0)
        }
    }

    @Test func uniqueViolationHasItsOwnCode() throws {
        try TestDatabase.withSchema { connection, _ in
            try connection.execute("CREATE TABLE keys (k text PRIMARY KEY)")
            try connection.execute("INSERT INTO keys VALUES ($1)", ["secret-value"])
            let error = #expect(throws: StorageError.self) {
                try connection.execute("INSERT INTO keys VALUES ($1)", ["secret-value"])
            }
            #expect(error?.code == .uniqueViolation)
            #expect(error?.sqlState == "23505")
            #expect(error?.description.contains("secret-value") == false)
        }
    }

    @Test func syntaxErrorIsQueryFailedAndConnectionStaysUsable() throws {
        try TestDatabase.withSchema { connection, _ in
            let error = #expect(throws: StorageError.self) { try connection.execute("SELEC 1") }
            #expect(error?.code == .queryFailed)
            #expect(error?.sqlState == "42601")
            let one = try connection.execute("SELECT 1 AS one").rows[0]["one"]
            #expect(one == "1")
        }
    }

    @Test func connectionFailureIsRetryable() throws {
        let error = #expect(throws: StorageError.self) {
            _ = try PostgresConnection.connect(url: "postgresql://nobody:hunter2@127.0.0.1:1/none?connect_timeout=2")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.disposition == .retry)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func copyOutReturnsEveryRow() throws {
        try TestDatabase.withSchema { connection, _ in
            var lines: [String] = []
            let count = try connection.copyOut("COPY (SELECT i, i * i FROM generate_series(1, 5) AS i) TO STDOUT (FORMAT csv)") { row in
                lines.append(String(decoding: row, as: UTF8.self))
            }
            #expect(count == 5)
            #expect(lines == ["1,1\n", "2,4\n", "3,9\n", "4,16\n", "5,25\n"])
        }
    }

    @Test func copyOutStopsCleanlyWhenTheCallbackThrows() throws {
        struct Enough: Error {}
        try TestDatabase.withSchema { connection, _ in
            var seen = 0
            #expect(throws: Enough.self) {
                _ = try connection.copyOut("COPY (SELECT i FROM generate_series(1, 100000) AS i) TO STDOUT") { _ in
                    seen += 1
                    if seen == 3 { throw Enough() }
                }
            }
            let answer = try connection.execute("SELECT 42 AS answer").rows[0]["answer"]
            #expect(answer == "42")
        }
    }

    @Test func copyInRoundTrip() throws {
        try TestDatabase.withSchema { connection, _ in
            try connection.execute("CREATE TABLE points (id int, label text)")
            try connection.copyIn("COPY points (id, label) FROM STDIN (FORMAT csv)") { write in
                try write(Data("1,\"a, b\"\n2,".utf8))  // a row split across writes
                try write(Data("\"say \"\"hi\"\"\"\n3,\n".utf8))
            }
            let rows = try connection.execute("SELECT id, label FROM points ORDER BY id").rows
            #expect(rows.map { $0["label"] } == ["a, b", "say \"hi\"", nil])

            struct Abort: Error {}
            #expect(throws: Abort.self) {
                try connection.copyIn("COPY points (id, label) FROM STDIN (FORMAT csv)") { write in
                    try write(Data("4,x\n".utf8))
                    throw Abort()
                }
            }
            #expect(try connection.execute("SELECT count(*) AS n FROM points").rows[0].int("n") == 3)
        }
    }

    @Test func escaping() throws {
        try TestDatabase.withSchema { connection, _ in
            let literal = try connection.escapeLiteral("it's")
            #expect(literal == "'it''s'")
            let identifier = try connection.escapeIdentifier("we\"ird")
            #expect(identifier == "\"we\"\"ird\"")
            let value = try connection.execute("SELECT \(literal) AS \(identifier)").rows[0]["we\"ird"]
            #expect(value == "it's")
        }
    }

    @Test func closedConnectionThrows() throws {
        let connection = try TestDatabase.connect()
        connection.close()
        connection.close()
        let error = #expect(throws: StorageError.self) { try connection.execute("SELECT 1") }
        #expect(error?.code == .connectionFailed)
    }
}

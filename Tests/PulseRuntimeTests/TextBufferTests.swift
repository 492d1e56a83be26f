import Foundation
@testable import PulseRuntime
import PulseStorage
import Testing

/// The byte-built text formats, read back by a real PostgreSQL: what it parses must be what we meant.
@Suite(.enabled(if: GatewayServices.databaseURL != nil, "needs PULSE_TEST_DATABASE_URL"))
struct TextBufferTests {
    private let awkward = [#"plain"#, #"with "quotes""#, #"back\slash"#, "comma, and\nnewline", "", "é ✈", #"{"a":1}"#]

    @Test func arrayLiteralsRoundTripThroughPostgreSQL() throws {
        let database = try PostgresConnection.connect(url: try #require(GatewayServices.databaseURL))
        defer { database.close() }
        let result = try database.execute(
            "SELECT u.v, u.i FROM unnest($1::text[]) WITH ORDINALITY AS u(v, i) ORDER BY u.i", [PostgresArray.literal(awkward)]
        )
        #expect(result.rows.map { $0["v"] ?? "<NULL>" } == awkward)
    }

    @Test func csvFieldsRoundTripThroughCopy() throws {
        let database = try PostgresConnection.connect(url: try #require(GatewayServices.databaseURL))
        defer { database.close() }
        try database.execute("CREATE TEMP TABLE fields (i int, v text)")
        try database.copyIn("COPY fields (i, v) FROM STDIN WITH (FORMAT csv)") { write in
            var buffer = TextBuffer()
            for (index, value) in awkward.enumerated() {
                buffer.append("\(index),")
                buffer.appendCSVField(value)
                buffer.append(byte: UInt8(ascii: "\n"))
            }
            try write(buffer.take())
        }
        // The empty string stays an empty string (quoted), not NULL.
        #expect(try database.execute("SELECT v FROM fields ORDER BY i").rows.map { $0["v"] ?? "<NULL>" } == awkward)
    }
}

import Foundation
import PulseConnectors
import Testing

@Suite("SourceObjectName")
struct SourceObjectNameTests {
    @Test func parsesQualifiedAndBareNames() throws {
        let qualified = try SourceObjectName(parsing: "analytics.v_flights")
        #expect(qualified.schema == "analytics")
        #expect(qualified.name == "v_flights")
        #expect(qualified.quoted == "\"analytics\".\"v_flights\"")
        #expect(qualified.description == "analytics.v_flights")
        let bare = try SourceObjectName(parsing: "_Flights2013")
        #expect(bare.schema == "public")
        #expect(bare.quoted == "\"public\".\"_Flights2013\"")
        #expect(try SourceObjectName(parsing: String(repeating: "a", count: 63)).name.count == 63)
    }

    @Test(arguments: [
        "flights; drop table x", "\"x\"", "a.b.c", "", ".", "a.", ".a", "1abc", "a b", "a-b", "a'b", "x--",
        "fl\u{0130}ghts", "ﬂights", "a\u{0}b", "a\nb", String(repeating: "a", count: 64), "public.\"users\"",
    ])
    func rejectsAnythingButPlainIdentifiers(_ text: String) {
        let error = #expect(throws: ConnectorError.self) { try SourceObjectName(parsing: text) }
        #expect(error?.code == .invalidIdentifier)
        #expect(error?.disposition == .deadLetter)
    }

    @Test func codableAsStringAndValidatesOnDecode() throws {
        let name = try SourceObjectName(parsing: "s.v")
        let encoded = try JSONEncoder().encode(name)
        #expect(String(decoding: encoded, as: UTF8.self) == "\"s.v\"")
        #expect(try JSONDecoder().decode(SourceObjectName.self, from: encoded) == name)
        #expect(try JSONDecoder().decode(SourceObjectName.self, from: Data(#"{"schema":"s","name":"v"}"#.utf8)) == name)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(SourceObjectName.self, from: Data(#""s.v; drop""#.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(SourceObjectName.self, from: Data(#"{"schema":"s\"","name":"v"}"#.utf8)) }
    }

    @Test func connectionStringEscapesValuesAndDescriptionHidesThePassword() {
        let configuration = PostgresSourceConfiguration(
            host: "db.example", port: 6543, database: "my db", user: "o'brien", password: "p'a\\ss word", sslmode: "require"
        )
        // Quoting rules from the libpq manual, "Keyword/Value Connection Strings".
        #expect(configuration.connectionURL()
            == #"host='db.example' port='6543' dbname='my db' user='o\'brien' password='p\'a\\ss word' sslmode='require'"#)
        #expect(!configuration.description.contains("p'a"))
    }
}

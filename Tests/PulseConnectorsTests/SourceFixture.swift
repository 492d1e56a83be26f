import Foundation
import PulseConnectors
import PulseStorage

/// A throwaway source on the test PostgreSQL server: schema `src_<random>` with a table, views, and a login role
/// `pulse_reader_<random>` that is read-only by default and may SELECT only `v_flights` and `v_carriers`.
struct SourceFixture {
    static let url = ProcessInfo.processInfo.environment["PULSE_TEST_DATABASE_URL"]
    static var isAvailable: Bool { url != nil }

    let schema: String
    let role: String
    let password: String
    let reader: PostgresSourceConfiguration

    let flights: SourceObjectName
    let carriers: SourceObjectName
    let secret: SourceObjectName
    let table: SourceObjectName

    func connector(_ allowlist: Set<SourceObjectName>) -> PostgresSourceConnector {
        PostgresSourceConnector(configuration: reader, allowlist: allowlist, statementTimeout: .seconds(30))
    }

    /// Sets the source up as the superuser, runs `body`, and removes schema and role again.
    static func with(_ body: (SourceFixture) throws -> Void) throws {
        guard let url else { return }
        let admin = try PostgresConnection.connect(url: url, applicationName: "pulse-connector-tests")
        defer { admin.close() }
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let schema = "src_\(suffix)"
        let role = "pulse_reader_\(suffix)"
        let password = "pw'with\\odd chars"
        defer {
            _ = try? admin.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            _ = try? admin.execute("DROP OWNED BY \(role)")
            _ = try? admin.execute("DROP ROLE IF EXISTS \(role)")
        }
        try admin.execute("""
            CREATE SCHEMA \(schema);
            CREATE TABLE \(schema).flights (
                id integer PRIMARY KEY, carrier text, dep_time timestamptz, delay double precision,
                cancelled boolean, flight_date date, note text
            );
            INSERT INTO \(schema).flights VALUES
                (1, 'UA', '2013-01-01 05:15:00+00', 2.5, false, '2013-01-01', NULL),
                (2, 'AA', '2013-01-01 05:29:00+00', -4, false, '2013-01-01', 'late, "very"'),
                (3, 'B6', '2013-01-01 05:15:00+00', NULL, true, '2013-01-01', NULL),
                (4, 'UA', '2013-01-02 06:00:00+00', 10, false, '2013-01-02', NULL),
                (5, 'ZZ', NULL, 0, false, '2013-01-02', 'no cursor');
            CREATE TABLE \(schema).carriers (carrier text PRIMARY KEY, name text);
            INSERT INTO \(schema).carriers VALUES ('UA', 'United'), ('AA', 'American');
            CREATE VIEW \(schema).v_flights AS SELECT * FROM \(schema).flights;
            CREATE VIEW \(schema).v_carriers AS SELECT * FROM \(schema).carriers;
            CREATE VIEW \(schema).v_secret AS SELECT 42 AS answer;
            CREATE ROLE \(role) LOGIN PASSWORD \(try admin.escapeLiteral(password));
            ALTER ROLE \(role) SET default_transaction_read_only = on;
            GRANT USAGE ON SCHEMA \(schema) TO \(role);
            GRANT SELECT ON \(schema).v_flights, \(schema).v_carriers TO \(role);
            """)
        let server = try admin.execute(
            "SELECT coalesce(host(inet_server_addr()), '127.0.0.1') AS host, coalesce(inet_server_port(), 5432) AS port, current_database() AS db"
        ).rows[0]
        let reader = PostgresSourceConfiguration(
            host: try server.string("host"), port: try server.int("port"), database: try server.string("db"),
            user: role, password: password, sslmode: "disable"
        )
        try body(SourceFixture(
            schema: schema, role: role, password: password, reader: reader,
            flights: try SourceObjectName(schema: schema, name: "v_flights"),
            carriers: try SourceObjectName(schema: schema, name: "v_carriers"),
            secret: try SourceObjectName(schema: schema, name: "v_secret"),
            table: try SourceObjectName(schema: schema, name: "flights")
        ))
    }
}

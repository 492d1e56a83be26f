import Foundation
import PulseStorage

/// Access to the test PostgreSQL server named by `PULSE_TEST_DATABASE_URL`; each test gets its own schema.
enum TestDatabase {
    static let url = ProcessInfo.processInfo.environment["PULSE_TEST_DATABASE_URL"]
    static var isAvailable: Bool { url != nil }

    /// Connects, creates a schema `<prefix>_<random>`, puts it first on the search_path, runs `body`, drops it.
    static func withSchema<T>(_ prefix: String = "pulse_test", _ body: (PostgresConnection, String) throws -> T) throws -> T {
        let connection = try connect()
        defer { connection.close() }
        let schema = "\(prefix)_\(randomSuffix())"
        try connection.execute("CREATE SCHEMA \(schema)")
        defer { _ = try? connection.execute("DROP SCHEMA \(schema) CASCADE") }
        try connection.execute("SET search_path TO \(schema)")
        return try body(connection, schema)
    }

    static func connect() throws -> PostgresConnection {
        guard let url else { throw StorageError(.connectionFailed, "PULSE_TEST_DATABASE_URL is not set") }
        return try PostgresConnection.connect(url: url, applicationName: "pulse-storage-tests")
    }

    static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }
}

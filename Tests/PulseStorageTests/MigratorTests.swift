import Foundation
import PulseStorage
import Synchronization
import Testing

@Suite("Migrator")
struct MigratorTests {
    let migrations = [
        Migration(version: 2, name: "add_column", sql: "ALTER TABLE widgets ADD COLUMN colour text; CREATE INDEX ON widgets (colour);"),
        Migration(version: 1, name: "initial", sql: "CREATE TABLE widgets (id int PRIMARY KEY);"),
    ]

    @Test(.enabled(if: TestDatabase.isAvailable))
    func applyingTwiceAppliesOnce() throws {
        try TestDatabase.withSchema("pulse_migrate") { connection, _ in
            #expect(try Migrator().apply(migrations, on: connection) == [1, 2])
            #expect(try Migrator().apply(migrations, on: connection) == [])
            let recorded = try connection.execute("SELECT version, name FROM schema_migrations ORDER BY version").rows
            #expect(recorded.map { $0["name"] } == ["initial", "add_column"])
            try connection.execute("INSERT INTO widgets (id, colour) VALUES (1, 'red')")
        }
    }

    @Test(.enabled(if: TestDatabase.isAvailable))
    func concurrentMigratorsApplyEachMigrationOnce() throws {
        try TestDatabase.withSchema("pulse_migrate") { _, schema in
            let results = Results()
            let group = DispatchGroup()
            for _ in 0..<3 {
                group.enter()
                Thread.detachNewThread { [migrations] in
                    defer { group.leave() }
                    do {
                        let connection = try TestDatabase.connect()
                        defer { connection.close() }
                        try connection.execute("SET search_path TO \(schema)")
                        results.append(.success(try Migrator().apply(migrations, on: connection)))
                    } catch {
                        results.append(.failure(error))
                    }
                }
            }
            #expect(group.wait(timeout: .now() + 60) == .success)
            let outcomes = results.values
            #expect(outcomes.count == 3)
            let applied = try outcomes.flatMap { try $0.get() }
            #expect(applied.sorted() == [1, 2])
        }
    }

    /// Numbers need not be contiguous, and a lower number that arrives later (a branch merged after a database
    /// applied a higher one, as 0002 and 0003 were written in parallel) is still applied, once.
    @Test(.enabled(if: TestDatabase.isAvailable))
    func gapsAreFineAndALowerVersionArrivingLaterIsApplied() throws {
        try TestDatabase.withSchema("pulse_migrate") { connection, _ in
            let initial = Migration(version: 1, name: "initial", sql: "CREATE TABLE widgets (id int PRIMARY KEY);")
            let third = Migration(version: 3, name: "third", sql: "CREATE TABLE gadgets (id int PRIMARY KEY);")
            let second = Migration(version: 2, name: "second", sql: "ALTER TABLE widgets ADD COLUMN colour text;")
            #expect(try Migrator().apply([initial, third], on: connection) == [1, 3])
            #expect(try Migrator().apply([initial, second, third], on: connection) == [2])
            #expect(try Migrator().apply([initial, second, third], on: connection) == [])
            let recorded = try connection.execute("SELECT version FROM schema_migrations ORDER BY version").rows.map { $0["version"] }
            #expect(recorded == ["1", "2", "3"])
        }
    }

    @Test(.enabled(if: TestDatabase.isAvailable))
    func failingMigrationLeavesNothingAndIsFatal() throws {
        try TestDatabase.withSchema("pulse_migrate") { connection, _ in
            let broken = [Migration(version: 1, name: "broken", sql: "CREATE TABLE a (id int); CREATE TABLE a (id int);")]
            let error = #expect(throws: StorageError.self) { try Migrator().apply(broken, on: connection) }
            #expect(error?.disposition == .fatal)
            #expect(try connection.execute("SELECT count(*) AS n FROM schema_migrations").rows[0].int("n") == 0)
            let table = try connection.execute("SELECT to_regclass('a') AS t").rows[0]["t"]
            #expect(table == nil)
        }
    }

    @Test func loadsNumberedFilesSortedAndRejectsBadNames() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 2;".write(to: directory.appendingPathComponent("0010_second_step.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: directory.appendingPathComponent("0001_initial.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: directory.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let loaded = try Migrations.load(from: directory)
        #expect(loaded.map(\.version) == [1, 10])
        #expect(loaded.map(\.name) == ["initial", "second_step"])
        #expect(loaded[0].sql == "SELECT 1;")

        try "x".write(to: directory.appendingPathComponent("initial.sql"), atomically: true, encoding: .utf8)
        #expect(throws: StorageError.self) { try Migrations.load(from: directory) }
    }

    @Test func bundledMigrationsAreSortedAndUnique() throws {
        let bundled = try Migrations.bundled()
        #expect(bundled.map(\.version) == bundled.map(\.version).sorted())
        #expect(Set(bundled.map(\.version)).count == bundled.count)
        #expect(bundled.contains { $0.version == 3 && $0.name == "extraction_checkpoints" })
    }
}

/// Collects thread results.
private final class Results: Sendable {
    private let stored = Mutex<[Result<[Int], any Error>]>([])

    func append(_ result: Result<[Int], any Error>) {
        stored.withLock { $0.append(result) }
    }

    var values: [Result<[Int], any Error>] {
        stored.withLock { $0 }
    }
}

import Foundation

/// Finds migration files: `NNNN_name.sql` → version `NNNN`, name `name`.
public enum Migrations {
    /// The migrations bundled with PulseStorage (`Sources/PulseStorage/Migrations`), sorted by version.
    public static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw StorageError(.invalidMigration, "the bundled Migrations directory is missing", disposition: .fatal)
        }
        return try load(from: directory)
    }

    /// The `*.sql` files of a directory, sorted by version; other files are ignored.
    public static func load(from directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw StorageError(.invalidMigration, "cannot list the migrations directory", underlying: "\(error)", disposition: .fatal)
        }
        var migrations: [Migration] = []
        for fileName in names where fileName.hasSuffix(".sql") {
            let (version, name) = try parse(fileName)
            let sql: String
            do {
                sql = try String(contentsOf: directory.appendingPathComponent(fileName), encoding: .utf8)
            } catch {
                throw StorageError(.invalidMigration, "cannot read migration \(fileName)", underlying: "\(error)", disposition: .fatal)
            }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw StorageError(.invalidMigration, "two migrations have version \(next.version)", disposition: .fatal)
        }
        return migrations
    }

    /// "0001_initial.sql" → (1, "initial").
    static func parse(_ fileName: String) throws -> (Int, String) {
        let stem = fileName.dropLast(".sql".count)
        let digits = stem.prefix { $0.isASCII && $0.isNumber }
        let rest = stem.dropFirst(digits.count)
        guard let version = Int(digits), version > 0, rest.first == "_", rest.count > 1 else {
            throw StorageError(.invalidMigration, "migration file \(fileName) is not named NNNN_name.sql", disposition: .fatal)
        }
        return (version, String(rest.dropFirst()))
    }
}

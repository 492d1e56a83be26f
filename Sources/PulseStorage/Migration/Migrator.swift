/// Applies migrations once each, recording them in `schema_migrations` of the connection's current schema.
public struct Migrator: Sendable {
    /// Arbitrary constant: the first half of the advisory-lock key (the second is the current schema's hash).
    private static let lockNamespace = 0x5075_6c73  // "Puls"

    public init() {}

    /// Applies every migration not yet recorded, each in its own transaction that holds a transaction-scoped
    /// advisory lock, so processes starting together apply each migration exactly once.
    /// Returns the versions applied by this call (empty when everything was already there).
    @discardableResult
    public func apply(_ migrations: [Migration], on connection: PostgresConnection) throws -> [Int] {
        let lock = "SELECT pg_advisory_xact_lock(\(Self.lockNamespace), hashtext(current_schema()))"
        try connection.withTransaction { connection in
            try connection.execute(lock)
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
        }
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let didApply = try connection.withTransaction { connection in
                try connection.execute(lock)
                let existing = try connection.execute("SELECT 1 FROM schema_migrations WHERE version = $1", [String(migration.version)])
                guard existing.rows.isEmpty else { return false }
                do {
                    try connection.execute(migration.sql)
                } catch var error as StorageError {
                    error.message = "migration \(migration.version) (\(migration.name)) failed: \(error.message)"
                    error.disposition = .fatal
                    throw error
                }
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    [String(migration.version), migration.name]
                )
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        return applied
    }
}

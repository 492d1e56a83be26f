/// One numbered SQL migration. Its SQL runs inside a transaction, so it must not contain `BEGIN`/`COMMIT`
/// or statements that refuse transactions (`CREATE INDEX CONCURRENTLY`).
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

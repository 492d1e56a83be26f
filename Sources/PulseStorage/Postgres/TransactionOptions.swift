/// How `PostgresConnection.withTransaction` opens its transaction.
public struct TransactionOptions: Sendable {
    public enum Isolation: Sendable {
        case readCommitted, repeatableRead, serializable

        var sql: String {
            switch self {
            case .readCommitted: "READ COMMITTED"
            case .repeatableRead: "REPEATABLE READ"
            case .serializable: "SERIALIZABLE"
            }
        }
    }

    public var isolation: Isolation
    /// `BEGIN … READ ONLY`: the server refuses every write.
    public var readOnly: Bool
    /// `SET LOCAL statement_timeout`, when given (millisecond precision).
    public var statementTimeout: Duration?
    /// `SET LOCAL TimeZone = 'UTC'`, so timestamps print the same everywhere.
    public var timeZoneUTC: Bool

    public init(isolation: Isolation = .readCommitted, readOnly: Bool = false, statementTimeout: Duration? = nil, timeZoneUTC: Bool = false) {
        self.isolation = isolation
        self.readOnly = readOnly
        self.statementTimeout = statementTimeout
        self.timeZoneUTC = timeZoneUTC
    }
}

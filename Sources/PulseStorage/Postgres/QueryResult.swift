/// The rows and status of one statement, copied out of libpq (text format).
public struct QueryResult: Sendable {
    /// Column names in result order.
    public let columns: [String]
    public let rows: [Row]
    /// Rows inserted, updated, deleted, selected or copied, as the server reports it (0 when not applicable).
    public let affectedRows: Int
    /// The command tag, e.g. "INSERT 0 1", "COMMIT" or "ROLLBACK".
    public let commandTag: String

    public init(columns: [String], rows: [Row], affectedRows: Int, commandTag: String = "") {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }
}

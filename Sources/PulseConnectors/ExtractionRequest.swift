/// What to extract from an allowlisted object, in a stable order.
public struct ExtractionRequest: Sendable {
    /// `LEFT JOIN <object> USING (<key>)`, adding `columns` of the joined object.
    public struct Join: Sendable {
        public var object: SourceObjectName
        public var key: String
        public var columns: [String]

        public init(object: SourceObjectName, key: String, columns: [String]) {
            self.object = object
            self.key = key
            self.columns = columns
        }
    }

    /// A row's place in the extraction order: its cursor and key as PostgreSQL prints them (`key` nil = NULL).
    public struct Position: Sendable, Equatable {
        public var cursor: String
        public var key: String?

        public init(cursor: String, key: String?) {
            self.cursor = cursor
            self.key = key
        }
    }

    public var object: SourceObjectName
    /// The incremental cursor (e.g. an update timestamp); rows come ordered by it.
    public var cursorColumn: String
    /// A unique key that makes the order total, so the same data always gives the same bytes.
    public var keyColumn: String
    public var join: Join?
    /// Exclusive lower cursor bound, as PostgreSQL prints the value; nil = from the beginning.
    public var after: String?
    /// Inclusive upper cursor bound; nil = no bound.
    public var upTo: String?
    /// Resume point: only rows strictly after this one in the (cursor, key NULLS LAST) order, within the bounds
    /// above. Rows tied with it on cursor and key cannot be told apart, so the caller resumes only from a row
    /// that nothing ties with (with a NULL key: no later row with the same cursor).
    public var resumeAfter: Position?

    public init(
        object: SourceObjectName, cursorColumn: String, keyColumn: String, join: Join? = nil, after: String? = nil, upTo: String? = nil,
        resumeAfter: Position? = nil
    ) {
        self.object = object
        self.cursorColumn = cursorColumn
        self.keyColumn = keyColumn
        self.join = join
        self.after = after
        self.upTo = upTo
        self.resumeAfter = resumeAfter
    }
}

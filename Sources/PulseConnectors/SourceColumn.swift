/// One column of a source object, with Pulse's type and the database's own type name.
public struct SourceColumn: Codable, Sendable, Equatable {
    public var name: String
    public var type: SourceColumnType
    /// As `format_type` prints it, e.g. "integer", "numeric(10,2)", "timestamp with time zone".
    public var databaseType: String

    public init(name: String, type: SourceColumnType, databaseType: String) {
        self.name = name
        self.type = type
        self.databaseType = databaseType
    }
}

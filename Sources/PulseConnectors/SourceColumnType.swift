/// The kinds of values Pulse distinguishes when it builds features.
public enum SourceColumnType: String, Codable, Sendable {
    case integer, double, text, boolean, timestamp, date

    /// Maps a PostgreSQL base type name (`pg_type.typname`) to a Pulse type; unknown types are text.
    public init(postgresTypeName name: String) {
        switch name {
        case "int2", "int4", "int8", "oid": self = .integer
        case "float4", "float8", "numeric", "money": self = .double
        case "bool": self = .boolean
        case "timestamp", "timestamptz": self = .timestamp
        case "date": self = .date
        default: self = .text
        }
    }
}

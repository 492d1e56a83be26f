/// The type of a dataset column, as recorded in a dataset version's manifest.
public enum ColumnKind: String, Codable, Sendable {
    case integer, double, text, boolean, timestamp, date
}

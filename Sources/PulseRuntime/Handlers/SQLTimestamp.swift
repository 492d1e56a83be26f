/// SQL that renders a `timestamptz` column as ISO-8601 UTC with milliseconds, like `Timestamp.format`.
enum SQLTimestamp {
    static func iso8601(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }
}

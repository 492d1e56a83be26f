/// A calendar part of an instant, read in UTC.
public enum TimestampPart: String, Codable, Sendable, CaseIterable {
    /// 0–23.
    case hour
    /// ISO 8601: 1 = Monday … 7 = Sunday.
    case dayOfWeek = "day_of_week"
    /// 1–12.
    case month

    func value(of instant: UTCTimestamp) -> Int {
        switch self {
        case .hour: instant.hour
        case .dayOfWeek: instant.isoDayOfWeek
        case .month: instant.month
        }
    }
}

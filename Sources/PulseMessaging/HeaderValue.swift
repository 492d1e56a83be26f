/// A message header value. AMQP has more field types; these are the ones Pulse writes and reads.
public enum HeaderValue: Sendable, Equatable, Codable {
    case string(String)
    case int(Int64)
    case bool(Bool)

    /// The string, if this is a string header.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The integer, if this is an integer header.
    public var intValue: Int64? {
        if case .int(let value) = self { value } else { nil }
    }
}

import Foundation

/// JSON bytes to and from `Codable` values through `JSONValue`: the product's one JSON codec (the parser,
/// writer, encoder and decoder beside this file), used on every request, message and row.
public enum JSONCodec {
    /// Compact JSON; with `sortedKeys`, in canonical key order.
    public static func encode(_ value: some Encodable, sortedKeys: Bool = false) throws -> Data {
        try JSONValue.encode(value).serialized(sortedKeys: sortedKeys)
    }

    /// Parses and decodes; a `Problem` names the position (malformed text) or the field (wrong shape).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(Problem) -> T {
        try JSONValue.parse(data).decode(type)
    }
}

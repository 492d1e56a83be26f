import Foundation

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant whitespace, integers
/// without a fraction. Two equal values always give the same bytes, so their SHA-256 is a stable hash.
public enum CanonicalJSON {
    public static func data(_ value: JSONValue) -> Data {
        value.serialized(sortedKeys: true)
    }

    public static func data(_ value: some Encodable) throws -> Data {
        data(try JSONValue.encode(value))
    }

    /// SHA-256 (lowercase hex) of the canonical form.
    public static func hash(_ value: JSONValue) -> String {
        SHA256.hex(of: data(value))
    }
}

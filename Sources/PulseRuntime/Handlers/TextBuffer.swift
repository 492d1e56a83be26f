import Foundation

/// Bytes for PostgreSQL's text formats (CSV COPY rows, array literals), built byte by byte: Foundation's
/// `replacingOccurrences` bridges every string through NSString and was most of a scoring request's time.
struct TextBuffer {
    private(set) var bytes: [UInt8] = []

    var count: Int { bytes.count }

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
    mutating func append(byte: UInt8) { bytes.append(byte) }

    /// An RFC 4180 field, always quoted (PostgreSQL's CSV COPY reads an empty unquoted field as NULL).
    mutating func appendCSVField(_ text: String) { appendCSVField(utf8: text.utf8) }

    mutating func appendCSVField(utf8: some Sequence<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// An element of an array literal: double-quoted, with `\` and `"` backslash-escaped.
    mutating func appendArrayElement(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Hands the bytes over and starts empty again.
    mutating func take() -> Data {
        defer { bytes.removeAll(keepingCapacity: true) }
        return Data(bytes)
    }
}

enum PostgresArray {
    /// A text[] literal for values that need quoting (`{"a","b"}`).
    static func literal(_ values: [String]) -> String {
        var buffer = TextBuffer()
        buffer.append(byte: UInt8(ascii: "{"))
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.append(byte: UInt8(ascii: ",")) }
            buffer.appendArrayElement(value)
        }
        buffer.append(byte: UInt8(ascii: "}"))
        return String(decoding: buffer.bytes, as: UTF8.self)
    }
}

import Foundation

/// Reads RFC 4180 CSV: comma-separated fields, records ended by CRLF or LF, fields in double quotes may
/// hold commas, line breaks and doubled quotes (`""`).
///
/// An unquoted empty field is nil (SQL NULL); a quoted empty field `""` is the empty string.
/// A final line break does not start a record; an empty line elsewhere is a record with one nil field.
/// A UTF-8 byte order mark at the start is skipped. A quote inside an unquoted field is kept as text.
public enum CSVReader {
    /// Parses `data`, calling `body` with each record's fields in order.
    /// - Throws: `MLError.Code.malformedCSV` (with the line number) for an unterminated quoted field,
    ///   text after a closing quote, or invalid UTF-8; rethrows what `body` throws.
    public static func parse(_ data: Data, into body: ([String?]) throws -> Void) throws {
        try data.withUnsafeBytes { raw in
            try parse(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count), into: body)
        }
    }

    /// Parses `text`, calling `body` with each record's fields in order.
    public static func parse(_ text: String, into body: ([String?]) throws -> Void) throws {
        var text = text
        try text.withUTF8 { try parse($0, into: body) }
    }

    /// Parses a whole document into memory; for small inputs and tests.
    public static func records(_ text: String) throws -> [[String?]] {
        var records = [[String?]]()
        try parse(text) { records.append($0) }
        return records
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, into body: ([String?]) throws -> Void) throws {
        var index = 0
        let end = bytes.count
        if end >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
        var line = 1
        var record = [String?]()
        var field = [UInt8]()

        func text(_ field: some Sequence<UInt8>) throws -> String {
            guard let value = String(validating: field, as: UTF8.self) else {
                throw MLError(.malformedCSV, "invalid UTF-8 in the field on line \(line)")
            }
            return value
        }

        while index < end {
            // At the start of a field.
            var value: String?
            if bytes[index] == quote {
                index += 1
                field.removeAll(keepingCapacity: true)
                let startLine = line
                while true {
                    guard index < end else {
                        throw MLError(.malformedCSV, "quoted field opened on line \(startLine) is not closed")
                    }
                    let byte = bytes[index]
                    if byte == quote {
                        if index + 1 < end && bytes[index + 1] == quote {
                            field.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    if byte == lineFeed { line += 1 }
                    field.append(byte)
                    index += 1
                }
                value = try text(field)
                if index < end && bytes[index] != comma && bytes[index] != lineFeed
                    && !(bytes[index] == carriageReturn && index + 1 < end && bytes[index + 1] == lineFeed)
                {
                    throw MLError(.malformedCSV, "unexpected text after a closing quote on line \(line)")
                }
            } else {
                let start = index
                while index < end && bytes[index] != comma && bytes[index] != lineFeed
                    && !(bytes[index] == carriageReturn && index + 1 < end && bytes[index + 1] == lineFeed)
                {
                    index += 1
                }
                if index > start {
                    value = try text(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                }
            }
            record.append(value)

            // After a field: a comma, a line break or the end.
            if index >= end { break }
            if bytes[index] == comma {
                index += 1
                if index >= end { record.append(nil) }  // "a," ends with an empty last field
                continue
            }
            index += bytes[index] == carriageReturn ? 2 : 1
            line += 1
            try body(record)
            record.removeAll(keepingCapacity: true)
        }
        if !record.isEmpty { try body(record) }
    }
}

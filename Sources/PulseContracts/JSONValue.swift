import Foundation

/// Any JSON value. Payloads travel as `JSONValue` between the wire and the typed payload structs, so the
/// envelope can be validated field by field and hashed canonically.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var isNull: Bool { self == .null }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Most likely first: every failed attempt costs an error value, and payloads are mostly numbers and strings.
        if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// Parses JSON text. Throws `Problem` (400) naming the line and column when the text is not JSON.
    public static func parse(_ data: Data) throws(Problem) -> JSONValue {
        do {
            return try JSONParser.parse(data)
        } catch {
            let (line, column) = Self.lineAndColumn(of: error.offset, in: data)
            throw Problem.malformedJSON(detail: "the body is not valid JSON: \(error.message) at line \(line), column \(column)")
        }
    }

    /// Compact JSON text; with `sortedKeys` the canonical form (see `CanonicalJSON`).
    public func serialized(sortedKeys: Bool = false) -> Data {
        JSONWriter.data(self, sortedKeys: sortedKeys)
    }

    /// Converts any `Encodable` into a `JSONValue` tree.
    public static func encode(_ value: some Encodable) throws -> JSONValue {
        try JSONValueEncoder.encode(value)
    }

    /// Decodes a typed value out of this tree; decoding errors become `Problem`s whose pointers
    /// start at `pointerPrefix` (for example `/payload`).
    public func decode<T: Decodable>(_ type: T.Type, pointerPrefix: String = "") throws(Problem) -> T {
        do {
            return try JSONValueDecoder.decode(T.self, from: self)
        } catch let error as Problem {
            throw error
        } catch let error as DecodingError {
            throw Problem(decodingError: error, pointerPrefix: pointerPrefix)
        } catch {
            throw Problem.invalidField(pointer: pointerPrefix, detail: "\(error)")
        }
    }

    /// 1-based line and column (in bytes) of a byte offset, for error messages.
    private static func lineAndColumn(of offset: Int, in data: Data) -> (Int, Int) {
        var line = 1
        var lineStart = 0
        for (index, byte) in data.prefix(offset).enumerated() where byte == 0x0A {
            line += 1
            lineStart = index + 1
        }
        return (line, offset - lineStart + 1)
    }
}

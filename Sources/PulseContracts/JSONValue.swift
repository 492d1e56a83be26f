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
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
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
    /// Parses JSON text. Throws `Problem` (400) naming the position when the text is not JSON.
    public static func parse(_ data: Data) throws(Problem) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw Problem.malformedJSON(detail: Self.describe(error))
        }
    }

    /// Converts any `Encodable` into a `JSONValue` tree.
    public static func encode(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    /// Decodes a typed value out of this tree; decoding errors become `Problem`s whose pointers
    /// start at `pointerPrefix` (for example `/payload`).
    public func decode<T: Decodable>(_ type: T.Type, pointerPrefix: String = "") throws(Problem) -> T {
        let data: Data
        do {
            data = try JSONEncoder().encode(self)
        } catch {
            throw Problem.invalidField(pointer: pointerPrefix, detail: "value is not encodable as JSON")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as Problem {
            throw error
        } catch let error as DecodingError {
            throw Problem(decodingError: error, pointerPrefix: pointerPrefix)
        } catch {
            throw Problem.invalidField(pointer: pointerPrefix, detail: "\(error)")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "the body is not valid JSON"
    }
}

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
    /// Parses JSON text. Throws `Problem` (400) naming the position when the text is not JSON.
    public static func parse(_ data: Data) throws(Problem) -> JSONValue {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw Problem.malformedJSON(detail: Self.describe(error))
        }
        return JSONValue(foundation: object)
    }

    /// The value as JSONSerialization's objects.
    var foundationObject: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let flag): return NSNumber(value: flag)
        case .number(let number): return NSNumber(value: number)
        case .string(let text): return text
        case .array(let items): return items.map(\.foundationObject)
        case .object(let members): return members.mapValues(\.foundationObject)
        }
    }

    /// Converts what JSONSerialization returns (much faster than JSONDecoder on large bodies).
    init(foundation object: Any) {
        switch object {
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumber too; only those are of the boolean class.
            if "\(type(of: number))".contains("Boolean") {
                self = .bool(number.boolValue)
            } else {
                self = .number(number.doubleValue)
            }
        case let text as String: self = .string(text)
        case let array as [Any]: self = .array(array.map(JSONValue.init(foundation:)))
        case let members as [String: Any]: self = .object(members.mapValues(JSONValue.init(foundation:)))
        default: self = .null
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
            data = try JSONSerialization.data(withJSONObject: foundationObject, options: [.fragmentsAllowed])
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
        let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        return detail.map { "the body is not valid JSON: \($0)" } ?? "the body is not valid JSON"
    }
}

/// A schema-qualified table or view name that is safe to quote into SQL.
///
/// Each part matches `^[A-Za-z_][A-Za-z0-9_]{0,62}$` (ASCII only). Names are used quoted, so they are
/// case-sensitive: `Flights` and `flights` are different objects.
public struct SourceObjectName: Hashable, Codable, Sendable, CustomStringConvertible {
    public let schema: String
    public let name: String

    /// Parses "schema.view" or "view" (schema "public"). Anything else throws `.invalidIdentifier`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy(Self.isIdentifier) else {
            throw ConnectorError(.invalidIdentifier, "\"\(Self.printable(text))\" is not a [schema.]name of plain identifiers", field: "view")
        }
        schema = parts.count == 2 ? String(parts[0]) : "public"
        name = String(parts[parts.count - 1])
    }

    /// Both parts are validated as in `init(parsing:)`.
    public init(schema: String, name: String) throws {
        guard Self.isIdentifier(Substring(schema)), Self.isIdentifier(Substring(name)) else {
            throw ConnectorError(.invalidIdentifier, "\"\(Self.printable(schema)).\(Self.printable(name))\" is not a pair of plain identifiers", field: "view")
        }
        self.schema = schema
        self.name = name
    }

    /// `"schema"."name"`, ready for SQL.
    public var quoted: String { "\"\(schema)\".\"\(name)\"" }

    /// `schema.name`.
    public var description: String { "\(schema).\(name)" }

    /// Encodes as the string "schema.name"; decodes that string or `{"schema": …, "name": …}`, validating both.
    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            try self.init(parsing: text)
        } else {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            try self.init(schema: try container.decode(String.self, forKey: .schema), name: try container.decode(String.self, forKey: .name))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private enum CodingKeys: String, CodingKey { case schema, name }

    static func isIdentifier(_ part: Substring) -> Bool {
        let bytes = part.utf8
        guard let first = bytes.first, (1...63).contains(bytes.count), isLetterOrUnderscore(first) else { return false }
        return bytes.allSatisfy { isLetterOrUnderscore($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isLetterOrUnderscore(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "_")
    }

    /// Shortened, control characters replaced: the text goes into an error message.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(100).map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }
}

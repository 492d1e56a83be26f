/// An error from a source connector. `description` never contains credentials or source row values.
public struct ConnectorError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidIdentifier, notAllowlisted, unknownColumn, objectNotFound, invalidRequest
            case sourceUnavailable, sourceRejected, readOnlyViolation
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A schema, object or column name is not a plain identifier.
        public static let invalidIdentifier = Code(.invalidIdentifier)
        /// The object is not on the datasource's allowlist (checked before connecting).
        public static let notAllowlisted = Code(.notAllowlisted)
        /// A requested column does not exist in the object.
        public static let unknownColumn = Code(.unknownColumn)
        /// An allowlisted object does not exist in the source, or the reader cannot see it.
        public static let objectNotFound = Code(.objectNotFound)
        /// The request is inconsistent (e.g. a join column that duplicates a source column).
        public static let invalidRequest = Code(.invalidRequest)
        /// The source cannot be reached or dropped the connection (retry).
        public static let sourceUnavailable = Code(.sourceUnavailable)
        /// The source refused a statement (permissions, bad cursor literal, timeout after retries…).
        public static let sourceRejected = Code(.sourceRejected)
        /// Something tried to write to the source (SQLSTATE 25006).
        public static let readOnlyViolation = Code(.readOnlyViolation)

        public var description: String { base.rawValue }
    }

    /// What a worker should do with the message that caused this error.
    public enum Disposition: String, Sendable, Hashable {
        case retry, deadLetter, fatal
    }

    public var code: Code
    /// A short, safe explanation that names the offending identifier or column.
    public var message: String
    /// Where in the request the fault is, as JSON-pointer segments relative to the request
    /// (e.g. "view", "cursorColumn", "join/columns/1"), when it is one field.
    public var field: String?
    /// SQLSTATE when the source rejected a statement.
    public var sqlState: String?
    public var disposition: Disposition
    public var file: String
    public var line: Int

    public init(
        _ code: Code,
        _ message: String,
        field: String? = nil,
        sqlState: String? = nil,
        disposition: Disposition? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.field = field
        self.sqlState = sqlState
        self.disposition = disposition ?? (code == .sourceUnavailable ? .retry : .deadLetter)
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "ConnectorError(\(code)"
        if let field { text += ", field: \(field)" }
        if let sqlState { text += ", sqlState: \(sqlState)" }
        return text + "): \(message)"
    }
}

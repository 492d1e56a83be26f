/// An error from PulseStorage: PostgreSQL, migrations, object stores, compression or encryption.
///
/// `description` is safe to log: it never contains SQL parameters, passwords or secret material.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed, queryFailed, uniqueViolation, notFound, tampered, invalidKey
            case objectStore, invalidObjectKey, compression, invalidValue, invalidMigration
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached or the connection broke.
        public static let connectionFailed = Code(.connectionFailed)
        /// The server rejected a statement.
        public static let queryFailed = Code(.queryFailed)
        /// A unique constraint was violated (SQLSTATE 23505).
        public static let uniqueViolation = Code(.uniqueViolation)
        /// The requested row, object or resource does not exist.
        public static let notFound = Code(.notFound)
        /// A sealed secret failed authentication (wrong key, altered bytes, other associated data, bad format).
        public static let tampered = Code(.tampered)
        /// An encryption key is malformed (wrong length, not hex, bad key id).
        public static let invalidKey = Code(.invalidKey)
        /// The object store failed to read or write.
        public static let objectStore = Code(.objectStore)
        /// An object key is not of the allowed shape.
        public static let invalidObjectKey = Code(.invalidObjectKey)
        /// zstd compression or decompression failed, or a frame is incomplete.
        public static let compression = Code(.compression)
        /// A column value is missing, NULL or not convertible to the requested type.
        public static let invalidValue = Code(.invalidValue)
        /// A migration file is malformed (name, version or duplicate).
        public static let invalidMigration = Code(.invalidMigration)

        public var description: String { base.rawValue }
    }

    /// What a worker should do with the message that caused this error.
    public enum Disposition: String, Sendable, Hashable {
        /// Transient: try again later (connection lost, serialization failure, lock timeout).
        case retry
        /// Permanent for this message: park it with the reason.
        case deadLetter
        /// The process cannot continue (misconfiguration): stop.
        case fatal
    }

    public var code: Code
    /// A short, safe explanation.
    public var message: String
    /// The PostgreSQL SQLSTATE, when the error came from the server.
    public var sqlState: String?
    /// A safe description of the underlying cause (e.g. a file system error), if any.
    public var underlying: String?
    public var disposition: Disposition
    public var file: String
    public var line: Int

    public init(
        _ code: Code,
        _ message: String,
        sqlState: String? = nil,
        underlying: String? = nil,
        disposition: Disposition? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.underlying = underlying
        self.disposition = disposition ?? StorageError.defaultDisposition(code, sqlState: sqlState)
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "StorageError(\(code)"
        if let sqlState { text += ", sqlState: \(sqlState)" }
        text += "): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }

    /// Connection problems and the transient SQLSTATE classes (08 connection, 40 rollback/serialization,
    /// 53 insufficient resources, 57 operator intervention/timeouts) are retried; the rest is dead-lettered.
    static func defaultDisposition(_ code: Code, sqlState: String?) -> Disposition {
        if code == .connectionFailed || code == .objectStore { return .retry }
        if let sqlState, ["08", "40", "53", "57"].contains(String(sqlState.prefix(2))) { return .retry }
        return .deadLetter
    }
}

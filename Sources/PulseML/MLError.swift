/// The error of every PulseML operation.
///
/// `message` and `description` never carry data values: they name the field or column at fault.
/// `underlying` holds the library's own text (XGBoost's last error), which carries no row data.
public struct MLError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidParameter = "invalid_parameter"
            case invalidData = "invalid_data"
            case unknownColumn = "unknown_column"
            case tooManyCategories = "too_many_categories"
            case malformedCSV = "malformed_csv"
            case invalidModel = "invalid_model"
            case library = "library"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A training parameter is out of range; `field` names it.
        public static let invalidParameter = Code(.invalidParameter)
        /// Features or labels cannot be used (shape mismatch, no rows, bad label).
        public static let invalidData = Code(.invalidData)
        /// A column the spec or the label needs is not in the dataset schema.
        public static let unknownColumn = Code(.unknownColumn)
        /// A text column has more distinct values than a categorical feature allows.
        public static let tooManyCategories = Code(.tooManyCategories)
        /// CSV text does not follow RFC 4180 (unterminated quote, invalid UTF-8, …).
        public static let malformedCSV = Code(.malformedCSV)
        /// Model bytes could not be loaded.
        public static let invalidModel = Code(.invalidModel)
        /// The XGBoost library reported a failure.
        public static let library = Code(.library)

        public var description: String { value.rawValue }
    }

    /// How a worker should treat the failure.
    public enum Disposition: String, Sendable {
        /// Transient: try the message again later.
        case retry
        /// The input is at fault: park the message with the reason.
        case deadLetter
        /// The process cannot go on.
        case fatal
    }

    public let code: Code
    /// Safe, human-readable text.
    public let message: String
    /// The parameter, column or feature at fault, if any.
    public let field: String?
    /// The underlying library's message, if any.
    public let underlying: String?
    public let disposition: Disposition
    public let file: String
    public let line: Int

    public init(
        _ code: Code,
        _ message: String,
        field: String? = nil,
        underlying: String? = nil,
        disposition: Disposition = .deadLetter,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.field = field
        self.underlying = underlying
        self.disposition = disposition
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "MLError(\(code)): \(message)"
        if let field { text += " [field: \(field)]" }
        if let underlying { text += " (\(underlying))" }
        return text
    }

    public var debugDescription: String { "\(description) at \(file):\(line)" }
}

/// A failure to configure or start an `HTTPServer`. Request-level failures are responses, never this error.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidConfiguration
            case bindFailed
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The configuration cannot be used (e.g. the host is not an IP address).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The daemon could not start, usually because the port is taken.
        public static let bindFailed = Code(.bindFailed)

        public var description: String {
            switch value {
            case .invalidConfiguration: "invalidConfiguration"
            case .bindFailed: "bindFailed"
            }
        }
    }

    /// What a worker should do about an error.
    public enum Disposition: Sendable, Hashable {
        /// Try again later (e.g. the port may be freed).
        case retry
        /// Park the message with the reason; retrying cannot help.
        case deadLetter
        /// Stop the process.
        case fatal
    }

    /// The error code.
    public let code: Code
    /// A message safe to log or show.
    public let message: String
    /// A description of the underlying cause (e.g. `strerror(errno)`), if any.
    public let underlying: String?
    /// Where the error was thrown.
    public let file: String
    public let line: Int

    /// How a host should react: a server that cannot bind cannot serve, so both codes are fatal.
    public var disposition: Disposition { .fatal }

    init(_ code: Code, _ message: String, underlying: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        if let underlying { return "HTTPServerError.\(code): \(message) (\(underlying))" }
        return "HTTPServerError.\(code): \(message)"
    }
}

import PulseCore

/// An error of the gateway itself (start-up, the command bus). Library errors (`StorageError`,
/// `MessagingError`) pass through unchanged; request problems are `Problem`s.
public struct GatewayError: Error, CustomStringConvertible, Sendable, DispositionProviding {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case configuration, unavailable, stopped
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A setting or file the gateway needs is missing or invalid.
        public static let configuration = Code(.configuration)
        /// A dependency (PostgreSQL, RabbitMQ) cannot be reached.
        public static let unavailable = Code(.unavailable)
        /// The gateway was stopped, or used before `start()`.
        public static let stopped = Code(.stopped)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// A short, safe explanation (no URLs with passwords, no payloads).
    public var message: String
    /// A safe description of the underlying cause, if any.
    public var underlying: String?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, underlying: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var failureDisposition: FailureDisposition {
        switch code {
        case .unavailable: .retry
        case .configuration: .fatal
        default: .fatal
        }
    }

    public var description: String {
        var text = "GatewayError(\(code)): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}

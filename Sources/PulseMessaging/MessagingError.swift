/// An error from the messaging layer: connecting, declaring, publishing or consuming.
///
/// `description` is safe to log: it never contains the broker password or a message body.
public struct MessagingError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as a stable code (new codes break nobody).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed, loginFailed, channelClosed, unroutable, nacked
            case protocolError, invalidTopology, invalidURL
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The TCP connection could not be opened, or it broke.
        public static let connectionFailed = Code(.connectionFailed)
        /// The broker refused the credentials or the virtual host.
        public static let loginFailed = Code(.loginFailed)
        /// The broker closed the channel (missing queue, inequivalent arguments, consumer cancelled…).
        public static let channelClosed = Code(.channelClosed)
        /// A mandatory publish matched no queue and the broker returned it.
        public static let unroutable = Code(.unroutable)
        /// The broker negatively acknowledged a publish (or did not confirm it in time).
        public static let nacked = Code(.nacked)
        /// An unexpected frame or library state.
        public static let protocolError = Code(.protocolError)
        /// The topology file is unreadable or inconsistent.
        public static let invalidTopology = Code(.invalidTopology)
        /// The AMQP URL cannot be parsed.
        public static let invalidURL = Code(.invalidURL)

        public var description: String { base.rawValue }
    }

    /// What a worker should do with the message it was handling when this error happened.
    public enum Disposition: String, Sendable {
        /// Transient: reconnect and try again later.
        case retry
        /// Retrying will not help: park the message with the reason.
        case deadLetter
        /// Configuration or programming error: stop the process.
        case fatal
    }

    /// The stable error code.
    public var code: Code
    /// A human-readable, secret-free message.
    public var message: String
    /// A description of the underlying cause (library status text, broker reply text), if any.
    public var underlying: String?
    /// Source location of the throw.
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, underlying: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    /// How a worker should treat the message in hand.
    public var disposition: Disposition {
        switch code {
        case .connectionFailed, .channelClosed, .nacked, .protocolError: .retry
        case .unroutable: .deadLetter
        default: .fatal
        }
    }

    public var description: String {
        var text = "MessagingError(\(code)): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}

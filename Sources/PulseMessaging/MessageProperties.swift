import Foundation

/// The AMQP basic properties Pulse uses. Custom headers should not start with `x-` (the broker's own).
public struct MessageProperties: Sendable, Equatable {
    public var messageId: String?
    public var correlationId: String?
    public var replyTo: String?
    /// The operation or event name.
    public var type: String?
    public var contentType: String? = "application/json"
    /// AMQP timestamps have one-second resolution.
    public var timestamp: Date?
    /// Delivery mode 2 when true.
    public var persistent: Bool = true
    public var headers: [String: HeaderValue] = [:]

    public init(messageId: String? = nil, correlationId: String? = nil, replyTo: String? = nil, type: String? = nil,
                contentType: String? = "application/json", timestamp: Date? = nil, persistent: Bool = true,
                headers: [String: HeaderValue] = [:]) {
        self.messageId = messageId
        self.correlationId = correlationId
        self.replyTo = replyTo
        self.type = type
        self.contentType = contentType
        self.timestamp = timestamp
        self.persistent = persistent
        self.headers = headers
    }
}

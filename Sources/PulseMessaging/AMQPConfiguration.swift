import Foundation

/// Where and how to connect to the broker. `description` never shows the password.
public struct AMQPConfiguration: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var vhost: String
    public var user: String
    public var password: String
    /// Heartbeat interval negotiated with the broker; 0 disables heartbeats.
    /// rabbitmq-c only sends heartbeats while a thread is inside one of its calls.
    public var heartbeatSeconds: Int = 30
    /// Shown as `connection_name` in the management UI.
    public var connectionName: String
    /// Timeout for opening the socket, the login handshake and each synchronous RPC.
    public var timeoutSeconds: Double = 30

    public init(host: String, port: Int = 5672, vhost: String = "/", user: String, password: String,
                heartbeatSeconds: Int = 30, connectionName: String = "pulse") {
        self.host = host
        self.port = port
        self.vhost = vhost
        self.user = user
        self.password = password
        self.heartbeatSeconds = heartbeatSeconds
        self.connectionName = connectionName
    }

    /// Parses a RabbitMQ URI: `amqp://user:pass@host:port/vhost` with percent-decoding
    /// (`%2F` is the default vhost "/"). Missing parts take the URI spec defaults
    /// (guest/guest, localhost, 5672, "/"); `heartbeat` may be given as a query parameter.
    public init(url: String, connectionName: String = "pulse") throws {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "amqp" else {
            throw MessagingError(.invalidURL, "the AMQP URL must look like amqp://user:password@host:port/vhost")
        }
        self.host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        self.port = components.port ?? 5672
        self.user = components.user ?? "guest"
        self.password = components.password ?? "guest"
        let path = components.percentEncodedPath
        if path.isEmpty || path == "/" {
            self.vhost = "/"
        } else {
            let segment = String(path.dropFirst())
            guard !segment.contains("/"), let decoded = segment.removingPercentEncoding else {
                throw MessagingError(.invalidURL, "the AMQP URL's virtual host must be one percent-encoded path segment")
            }
            self.vhost = decoded
        }
        self.connectionName = connectionName
        if let heartbeat = components.queryItems?.first(where: { $0.name == "heartbeat" })?.value {
            guard let seconds = Int(heartbeat), seconds >= 0 else {
                throw MessagingError(.invalidURL, "the AMQP URL's heartbeat must be a non-negative integer")
            }
            self.heartbeatSeconds = seconds
        }
        guard (1...65535).contains(port) else {
            throw MessagingError(.invalidURL, "the AMQP URL's port must be between 1 and 65535")
        }
    }

    public var description: String {
        "amqp://\(user):***@\(host):\(port)/\(vhost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? vhost)"
    }
}

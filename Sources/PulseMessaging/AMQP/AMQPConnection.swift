import Foundation
internal import CRabbitMQ

/// One AMQP connection with one channel (channel 1), wrapping a rabbitmq-c connection.
///
/// rabbitmq-c has no background thread and its connections must not be shared between threads,
/// so this class is used by one thread at a time (`@unchecked Sendable` only lets it be handed over).
/// Publishing and consuming each own a separate connection. Heartbeats are only sent while a thread is
/// inside a call on the connection (e.g. `Consumer.next(timeout:)`).
public final class AMQPConnection: @unchecked Sendable {
    static let channel: amqp_channel_t = 1

    /// The configuration this connection was opened with (used to reconnect).
    public let configuration: AMQPConfiguration
    private var state: amqp_connection_state_t?
    /// False once the connection is known to be broken; every call then throws `.connectionFailed`.
    private var usable = false
    /// Publisher confirms are re-selected when the channel or connection is reopened.
    private(set) var confirmsEnabled = false

    private init(configuration: AMQPConfiguration) {
        self.configuration = configuration
    }

    deinit {
        close()
    }

    /// Opens the socket, logs in and opens channel 1.
    public static func open(_ configuration: AMQPConfiguration) throws -> AMQPConnection {
        let connection = AMQPConnection(configuration: configuration)
        try connection.connect()
        return connection
    }

    /// Closes the channel and the connection politely, then frees the handle. Safe to call twice.
    public func close() {
        guard let state else { return }
        if usable {
            _ = amqp_channel_close(state, Self.channel, AMQP_REPLY_SUCCESS)
            _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(state)
        self.state = nil
        usable = false
    }

    /// True until the connection is closed or found broken.
    public var isOpen: Bool { state != nil && usable }

    /// Drops the current connection (if any) and opens a new one with the same configuration.
    func reopen() throws {
        close()
        try connect()
    }

    private func connect() throws {
        guard let state = amqp_new_connection() else {
            throw MessagingError(.connectionFailed, "could not allocate an AMQP connection")
        }
        self.state = state
        let endpoint = "\(configuration.host):\(configuration.port)"
        guard let socket = amqp_tcp_socket_new(state) else {
            close()
            throw MessagingError(.connectionFailed, "could not create a TCP socket for \(endpoint)")
        }
        var timeout = Self.timeval(seconds: configuration.timeoutSeconds)
        let status = amqp_socket_open_noblock(socket, configuration.host, Int32(configuration.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            close()
            throw MessagingError(.connectionFailed, "could not connect to the broker at \(endpoint)",
                                 underlying: Self.statusText(status))
        }
        _ = amqp_set_handshake_timeout(state, &timeout)
        _ = amqp_set_rpc_timeout(state, &timeout)

        let arena = AMQPArena()
        // consumer_cancel_notify: the broker tells a consumer whose queue was deleted (basic.cancel).
        var properties = arena.table([
            ("connection_name", .string(configuration.connectionName)),
            ("capabilities", .table([("consumer_cancel_notify", .bool(true))])),
        ])
        let login = pulse_amqp_login_plain_with_properties(
            state, configuration.vhost, Int32(AMQP_DEFAULT_MAX_CHANNELS), Int32(AMQP_DEFAULT_FRAME_SIZE),
            Int32(configuration.heartbeatSeconds), &properties, configuration.user, configuration.password)
        if login.reply_type != AMQP_RESPONSE_NORMAL {
            let underlying = Self.replyText(login)
            close()
            let refused = login.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION
                || login.library_error == AMQP_STATUS_CONNECTION_CLOSED.rawValue
                || login.library_error == AMQP_STATUS_SOCKET_CLOSED.rawValue
            throw MessagingError(refused ? .loginFailed : .connectionFailed,
                                 "could not log in to \(endpoint) vhost '\(configuration.vhost)' as '\(configuration.user)'",
                                 underlying: underlying)
        }
        usable = true
        do {
            try openChannel()
        } catch {
            close()
            throw error
        }
    }

    private func openChannel() throws {
        let state = try handle()
        _ = amqp_channel_open(state, Self.channel)
        try check(amqp_get_rpc_reply(state), "open channel", recoverChannel: false)
        if confirmsEnabled {
            _ = amqp_confirm_select(state, Self.channel)
            try check(amqp_get_rpc_reply(state), "select publisher confirms", recoverChannel: false)
        }
    }

    // MARK: - Operations

    /// Declares a server-named, exclusive, auto-delete queue (for replies and broadcasts) and returns its name.
    public func declareReplyQueue() throws -> String {
        try declareQueue(name: "", durable: false, exclusive: true, autoDelete: true, arguments: []).name
    }

    /// Binds `queue` to `exchange` with `routingKey`.
    public func bind(queue: String, exchange: String, routingKey: String) throws {
        let state = try handle()
        let arena = AMQPArena()
        _ = amqp_queue_bind(state, Self.channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey),
                            amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "bind queue '\(queue)' to exchange '\(exchange)'")
    }

    /// Removes every ready message from `queue`; returns how many were removed.
    @discardableResult
    public func purge(queue: String) throws -> Int {
        let state = try handle()
        let arena = AMQPArena()
        let ok = amqp_queue_purge(state, Self.channel, arena.bytes(queue))
        try check(amqp_get_rpc_reply(state), "purge queue '\(queue)'")
        return Int(ok?.pointee.message_count ?? 0)
    }

    /// The number of ready messages in `queue` (a passive declare; throws `.channelClosed` if it does not exist).
    public func messageCount(queue: String) throws -> Int {
        let state = try handle()
        let arena = AMQPArena()
        let ok = amqp_queue_declare(state, Self.channel, arena.bytes(queue), 1, 0, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "inspect queue '\(queue)'")
        return Int(ok?.pointee.message_count ?? 0)
    }

    /// Fetches one message with `basic.get` (manual ack); nil when the queue is empty.
    public func get(queue: String) throws -> Delivery? {
        let state = try handle()
        amqp_maybe_release_buffers(state)
        let arena = AMQPArena()
        let reply = amqp_basic_get(state, Self.channel, arena.bytes(queue), 0)
        try check(reply, "get from queue '\(queue)'")
        if reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD { return nil }
        guard reply.reply.id == AMQP_BASIC_GET_OK_METHOD,
              let ok = reply.reply.decoded?.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee else {
            throw MessagingError(.protocolError, "unexpected reply to basic.get on queue '\(queue)'")
        }
        let exchange = AMQPDecoding.string(ok.exchange)
        let routingKey = AMQPDecoding.string(ok.routing_key)
        var message = amqp_message_t()
        try check(amqp_read_message(state, Self.channel, &message, 0), "read message from queue '\(queue)'")
        defer { amqp_destroy_message(&message) }
        let (properties, deliveryCount, deadLetterings) = AMQPDecoding.properties(message.properties)
        return Delivery(body: AMQPDecoding.data(message.body), properties: properties, deliveryTag: ok.delivery_tag,
                        redelivered: ok.redelivered != 0, exchange: exchange, routingKey: routingKey,
                        deliveryCount: deliveryCount, deadLetterings: deadLetterings)
    }

    /// Acknowledges a delivery received on this connection.
    public func ack(_ deliveryTag: UInt64) throws {
        let state = try handle()
        try checkStatus(amqp_basic_ack(state, Self.channel, deliveryTag, 0), "ack delivery")
    }

    /// Rejects a delivery received on this connection; without requeue it is dead-lettered (if the queue has a DLX).
    public func reject(_ deliveryTag: UInt64, requeue: Bool) throws {
        let state = try handle()
        try checkStatus(amqp_basic_reject(state, Self.channel, deliveryTag, requeue ? 1 : 0), "reject delivery")
    }

    // MARK: - Internal operations (topology, publisher, consumer)

    func declareExchange(name: String, type: String, durable: Bool) throws {
        let state = try handle()
        let arena = AMQPArena()
        _ = amqp_exchange_declare(state, Self.channel, arena.bytes(name), arena.bytes(type), 0, durable ? 1 : 0, 0, 0,
                                  amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "declare exchange '\(name)'")
    }

    @discardableResult
    func declareQueue(name: String, durable: Bool, exclusive: Bool, autoDelete: Bool,
                      arguments: [(String, AMQPFieldValue)]) throws -> (name: String, messageCount: Int) {
        let state = try handle()
        let arena = AMQPArena()
        let ok = amqp_queue_declare(state, Self.channel, arena.bytes(name), 0, durable ? 1 : 0, exclusive ? 1 : 0,
                                    autoDelete ? 1 : 0, arena.table(arguments))
        try check(amqp_get_rpc_reply(state), "declare queue '\(name)'")
        guard let ok else { throw MessagingError(.protocolError, "no queue.declare-ok for '\(name)'") }
        return (AMQPDecoding.string(ok.pointee.queue), Int(ok.pointee.message_count))
    }

    func deleteQueue(_ name: String) throws {
        let state = try handle()
        let arena = AMQPArena()
        _ = amqp_queue_delete(state, Self.channel, arena.bytes(name), 0, 0)
        try check(amqp_get_rpc_reply(state), "delete queue '\(name)'")
    }

    func deleteExchange(_ name: String) throws {
        let state = try handle()
        let arena = AMQPArena()
        _ = amqp_exchange_delete(state, Self.channel, arena.bytes(name), 0)
        try check(amqp_get_rpc_reply(state), "delete exchange '\(name)'")
    }

    func enableConfirms() throws {
        let state = try handle()
        _ = amqp_confirm_select(state, Self.channel)
        try check(amqp_get_rpc_reply(state), "select publisher confirms")
        confirmsEnabled = true
    }

    func qos(prefetch: UInt16) throws {
        let state = try handle()
        _ = amqp_basic_qos(state, Self.channel, 0, prefetch, 0)
        try check(amqp_get_rpc_reply(state), "set prefetch")
    }

    func consume(queue: String, noAck: Bool) throws -> String {
        let state = try handle()
        let arena = AMQPArena()
        let ok = amqp_basic_consume(state, Self.channel, arena.bytes(queue), amqp_empty_bytes, 0, noAck ? 1 : 0, 0,
                                    amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "consume from queue '\(queue)'")
        return ok.map { AMQPDecoding.string($0.pointee.consumer_tag) } ?? ""
    }

    func basicPublish(exchange: String, routingKey: String, body: Data, properties: MessageProperties,
                      mandatory: Bool) throws {
        let state = try handle()
        amqp_maybe_release_buffers(state)
        let arena = AMQPArena()
        var flags: Int32 = AMQP_BASIC_DELIVERY_MODE_FLAG
        var c = amqp_basic_properties_t()
        c.delivery_mode = properties.persistent ? 2 : 1
        if let value = properties.contentType { flags |= AMQP_BASIC_CONTENT_TYPE_FLAG; c.content_type = arena.bytes(value) }
        if let value = properties.messageId { flags |= AMQP_BASIC_MESSAGE_ID_FLAG; c.message_id = arena.bytes(value) }
        if let value = properties.correlationId { flags |= AMQP_BASIC_CORRELATION_ID_FLAG; c.correlation_id = arena.bytes(value) }
        if let value = properties.replyTo { flags |= AMQP_BASIC_REPLY_TO_FLAG; c.reply_to = arena.bytes(value) }
        if let value = properties.type { flags |= AMQP_BASIC_TYPE_FLAG; c.type = arena.bytes(value) }
        if let value = properties.timestamp {
            flags |= AMQP_BASIC_TIMESTAMP_FLAG
            c.timestamp = UInt64(max(0, value.timeIntervalSince1970.rounded(.down)))
        }
        if !properties.headers.isEmpty {
            flags |= AMQP_BASIC_HEADERS_FLAG
            c.headers = arena.table(properties.headers.sorted { $0.key < $1.key }.map { key, value in
                switch value {
                case .string(let string): (key, .string(string))
                case .int(let int): (key, .int(int))
                case .bool(let bool): (key, .bool(bool))
                }
            })
        }
        c._flags = amqp_flags_t(flags)
        let status = amqp_basic_publish(state, Self.channel, arena.bytes(exchange), arena.bytes(routingKey),
                                        mandatory ? 1 : 0, 0, &c, arena.bytes(body))
        try checkStatus(status, "publish to exchange '\(exchange)'")
    }

    // MARK: - Frames and errors

    /// Waits up to `timeout` seconds (nil: forever, 0: poll) for the next frame. Returns nil on timeout.
    /// The frame's decoded payload lives in connection memory until the next `amqp_maybe_release_buffers`.
    func waitFrame(timeout: Double?) throws -> amqp_frame_t? {
        let state = try handle()
        var frame = amqp_frame_t()
        let status: Int32
        if let timeout {
            var tv = Self.timeval(seconds: max(0, timeout))
            status = amqp_simple_wait_frame_noblock(state, &frame, &tv)
        } else {
            status = amqp_simple_wait_frame(state, &frame)
        }
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        try checkStatus(status, "wait for a frame")
        return frame
    }

    /// Reads the header and body frames that follow a `basic.return` or `basic.deliver` and discards them.
    func discardMessage(channel: amqp_channel_t) throws {
        let state = try handle()
        var message = amqp_message_t()
        try check(amqp_read_message(state, channel, &message, 0), "read returned message")
        amqp_destroy_message(&message)
    }

    /// Handles a `channel.close` or `connection.close` sent by the broker outside an RPC:
    /// answers it, reopens the channel when possible, and throws the matching error. Other frames return.
    func handleBrokerClose(_ frame: amqp_frame_t) throws {
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return }
        var method = amqp_rpc_reply_t()
        method.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION
        method.reply = frame.payload.method
        if frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD || frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD {
            try check(method, "receive")
        }
    }

    func handle() throws -> amqp_connection_state_t {
        guard let state, usable else {
            throw MessagingError(.connectionFailed, "the AMQP connection is closed; open a new one")
        }
        return state
    }

    func release() {
        if let state { amqp_maybe_release_buffers(state) }
    }

    /// Turns a non-normal RPC reply into a `MessagingError`, answering broker-initiated closes.
    /// After a channel close the channel is reopened (so the connection stays usable) unless `recoverChannel` is false.
    func check(_ reply: amqp_rpc_reply_t, _ context: String, recoverChannel: Bool = true) throws {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            usable = false
            throw MessagingError(.connectionFailed, "could not \(context): the connection failed",
                                 underlying: Self.statusText(reply.library_error))
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            let text = Self.replyText(reply)
            if reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD {
                if let state {
                    var closeOk = amqp_channel_close_ok_t()
                    _ = amqp_send_method(state, Self.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &closeOk)
                }
                if recoverChannel { try? openChannel() }
                throw MessagingError(.channelClosed, "could not \(context): the broker closed the channel", underlying: text)
            }
            if reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD, let state {
                var closeOk = amqp_connection_close_ok_t()
                _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &closeOk)
            }
            usable = false
            throw MessagingError(.connectionFailed, "could not \(context): the broker closed the connection", underlying: text)
        default:
            throw MessagingError(.protocolError, "could not \(context): no reply from the broker")
        }
    }

    func checkStatus(_ status: Int32, _ context: String) throws {
        guard status != AMQP_STATUS_OK.rawValue else { return }
        usable = false
        throw MessagingError(.connectionFailed, "could not \(context): the connection failed",
                             underlying: Self.statusText(status))
    }

    static func statusText(_ status: Int32) -> String {
        amqp_error_string2(status).map { String(cString: $0) } ?? "status \(status)"
    }

    /// The broker's reply code and text (e.g. "404 NOT_FOUND - no queue 'x'"); never contains credentials.
    static func replyText(_ reply: amqp_rpc_reply_t) -> String {
        switch reply.reply_type {
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return statusText(reply.library_error)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            guard let decoded = reply.reply.decoded else { return "server exception" }
            if reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD {
                let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                return "\(close.reply_code) \(AMQPDecoding.string(close.reply_text))"
            }
            if reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD {
                let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                return "\(close.reply_code) \(AMQPDecoding.string(close.reply_text))"
            }
            return "server exception \(reply.reply.id)"
        default:
            return "no reply"
        }
    }

    static func timeval(seconds: Double) -> Glibc.timeval {
        let whole = seconds.rounded(.down)
        return Glibc.timeval(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
    }
}

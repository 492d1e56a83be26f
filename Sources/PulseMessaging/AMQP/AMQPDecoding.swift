import Foundation
internal import CRabbitMQ

/// A field read back from the broker, before it is narrowed to `HeaderValue`.
enum AMQPDecodedField {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case timestamp(Date)
    case table([String: AMQPDecodedField])
    case array([AMQPDecodedField])
    case other
}

/// Copies C-owned AMQP values into Swift values (the C memory is released after each read).
enum AMQPDecoding {
    static func string(_ bytes: amqp_bytes_t) -> String {
        guard bytes.len > 0, let base = bytes.bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: base, count: bytes.len), as: UTF8.self)
    }

    static func data(_ bytes: amqp_bytes_t) -> Data {
        guard bytes.len > 0, let base = bytes.bytes else { return Data() }
        return Data(bytes: base, count: bytes.len)
    }

    static func table(_ table: amqp_table_t) -> [String: AMQPDecodedField] {
        guard table.num_entries > 0, let entries = table.entries else { return [:] }
        var result: [String: AMQPDecodedField] = [:]
        for index in 0..<Int(table.num_entries) {
            let entry = entries[index]
            result[string(entry.key)] = field(entry.value)
        }
        return result
    }

    static func field(_ value: amqp_field_value_t) -> AMQPDecodedField {
        switch UInt32(value.kind) {
        case AMQP_FIELD_KIND_UTF8.rawValue, AMQP_FIELD_KIND_BYTES.rawValue: .string(string(value.value.bytes))
        case AMQP_FIELD_KIND_BOOLEAN.rawValue: .bool(value.value.boolean != 0)
        case AMQP_FIELD_KIND_I8.rawValue: .int(Int64(value.value.i8))
        case AMQP_FIELD_KIND_U8.rawValue: .int(Int64(value.value.u8))
        case AMQP_FIELD_KIND_I16.rawValue: .int(Int64(value.value.i16))
        case AMQP_FIELD_KIND_U16.rawValue: .int(Int64(value.value.u16))
        case AMQP_FIELD_KIND_I32.rawValue: .int(Int64(value.value.i32))
        case AMQP_FIELD_KIND_U32.rawValue: .int(Int64(value.value.u32))
        case AMQP_FIELD_KIND_I64.rawValue: .int(value.value.i64)
        case AMQP_FIELD_KIND_U64.rawValue: .int(Int64(truncatingIfNeeded: value.value.u64))
        case AMQP_FIELD_KIND_TIMESTAMP.rawValue: .timestamp(Date(timeIntervalSince1970: TimeInterval(value.value.u64)))
        case AMQP_FIELD_KIND_TABLE.rawValue: .table(table(value.value.table))
        case AMQP_FIELD_KIND_ARRAY.rawValue:
            .array((0..<Int(max(value.value.array.num_entries, 0))).compactMap { index in
                value.value.array.entries.map { field($0[index]) }
            })
        default: .other
        }
    }

    static func properties(_ properties: amqp_basic_properties_t) -> (MessageProperties, deliveryCount: Int, deadLetterings: [DeadLettering]) {
        let flags = properties._flags
        func has(_ flag: Int32) -> Bool { flags & amqp_flags_t(flag) != 0 }
        var result = MessageProperties(contentType: nil, persistent: false)
        if has(AMQP_BASIC_MESSAGE_ID_FLAG) { result.messageId = string(properties.message_id) }
        if has(AMQP_BASIC_CORRELATION_ID_FLAG) { result.correlationId = string(properties.correlation_id) }
        if has(AMQP_BASIC_REPLY_TO_FLAG) { result.replyTo = string(properties.reply_to) }
        if has(AMQP_BASIC_TYPE_FLAG) { result.type = string(properties.type) }
        if has(AMQP_BASIC_CONTENT_TYPE_FLAG) { result.contentType = string(properties.content_type) }
        if has(AMQP_BASIC_TIMESTAMP_FLAG) {
            result.timestamp = Date(timeIntervalSince1970: TimeInterval(properties.timestamp))
        }
        if has(AMQP_BASIC_DELIVERY_MODE_FLAG) { result.persistent = properties.delivery_mode == 2 }
        var deliveryCount = 0
        var deadLetterings: [DeadLettering] = []
        if has(AMQP_BASIC_HEADERS_FLAG) {
            for (key, value) in table(properties.headers) {
                switch value {
                case .string(let string): result.headers[key] = .string(string)
                case .int(let int): result.headers[key] = .int(int)
                case .bool(let bool): result.headers[key] = .bool(bool)
                case .array(let deaths) where key == "x-death":
                    deadLetterings = deaths.compactMap(deadLettering)
                default: break
                }
            }
            if case .int(let count)? = result.headers["x-delivery-count"] { deliveryCount = Int(count) }
        }
        return (result, deliveryCount, deadLetterings)
    }

    private static func deadLettering(_ field: AMQPDecodedField) -> DeadLettering? {
        guard case .table(let death) = field else { return nil }
        guard case .string(let reason)? = death["reason"], case .string(let queue)? = death["queue"] else { return nil }
        var count = 1
        if case .int(let value)? = death["count"] { count = Int(value) }
        var time: Date?
        if case .timestamp(let value)? = death["time"] { time = value }
        return DeadLettering(reason: reason, queue: queue, count: count, time: time)
    }
}

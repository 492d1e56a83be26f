import Foundation
internal import CRabbitMQ

/// A value rabbitmq-c can put in a field table (headers, queue arguments, client properties).
enum AMQPFieldValue {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case table([(String, AMQPFieldValue)])
}

/// Owns the C memory behind `amqp_bytes_t` and `amqp_table_t` values built for one call;
/// everything is freed when the arena is. Used by one thread, within one function.
final class AMQPArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { free(block) }
    }

    private func allocate(_ count: Int) -> UnsafeMutableRawPointer {
        guard let block = malloc(max(count, 1)) else { preconditionFailure("out of memory") }
        blocks.append(block)
        return block
    }

    func bytes(_ string: String) -> amqp_bytes_t {
        bytes(Data(string.utf8))
    }

    func bytes(_ data: Data) -> amqp_bytes_t {
        if data.isEmpty { return amqp_bytes_t(len: 0, bytes: nil) }
        let block = allocate(data.count)
        data.copyBytes(to: block.assumingMemoryBound(to: UInt8.self), count: data.count)
        return amqp_bytes_t(len: data.count, bytes: block)
    }

    func table(_ entries: [(String, AMQPFieldValue)]) -> amqp_table_t {
        if entries.isEmpty { return amqp_empty_table }
        let block = allocate(MemoryLayout<amqp_table_entry_t>.stride * entries.count)
        let pointer = block.bindMemory(to: amqp_table_entry_t.self, capacity: entries.count)
        for (index, (key, value)) in entries.enumerated() {
            (pointer + index).initialize(to: amqp_table_entry_t(key: bytes(key), value: field(value)))
        }
        return amqp_table_t(num_entries: Int32(entries.count), entries: pointer)
    }

    private func field(_ value: AMQPFieldValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .string(let string):
            field.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            field.value.bytes = bytes(string)
        case .int(let int):
            field.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
            field.value.i64 = int
        case .bool(let bool):
            field.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
            field.value.boolean = bool ? 1 : 0
        case .table(let entries):
            field.kind = UInt8(AMQP_FIELD_KIND_TABLE.rawValue)
            field.value.table = table(entries)
        }
        return field
    }
}

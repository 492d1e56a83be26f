import PulseStorage

/// A PostgreSQL advisory lock per message id, held while a worker handles the message. If the broker hands the
/// same message to a second worker while the first is still on it — its delivery timed out (`consumer_timeout`),
/// or the first worker's broker connection dropped mid-job — the second one sees the lock and stands back, so a
/// long training job is still trained once. Session-level: a worker that dies releases it with its connection.
struct HandlingLock {
    let consumer: String

    func tryAcquire(_ messageId: String, on database: PostgresConnection) throws -> Bool {
        try database.execute("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [key(messageId)]).rows.first?.bool("locked") ?? false
    }

    func release(_ messageId: String, on database: PostgresConnection) throws {
        try database.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key(messageId)])
    }

    private func key(_ messageId: String) -> String { "pulse:\(consumer):\(messageId)" }
}

import Dispatch
import PulseContracts
import Synchronization

/// Requests waiting for a worker's reply, keyed by correlation id. The reply thread hands each reply to every
/// waiter of its correlation id (two HTTP requests with one idempotency key share a message id).
final class ReplyWaiters: Sendable {
    /// One waiting request: the reply thread fills `reply` and signals.
    final class Waiter: Sendable {
        let correlationId: String
        fileprivate let signal = DispatchSemaphore(value: 0)
        fileprivate let reply = Mutex<Reply?>(nil)

        fileprivate init(correlationId: String) { self.correlationId = correlationId }
    }

    private let table = Mutex<[String: [Waiter]]>([:])

    /// Registers a waiter; call before publishing so a fast reply is not missed.
    func register(_ correlationId: String) -> Waiter {
        let waiter = Waiter(correlationId: correlationId)
        table.withLock { $0[correlationId, default: []].append(waiter) }
        return waiter
    }

    /// Blocks the calling thread until the reply arrives or `timeout` seconds pass (nil), then unregisters.
    func wait(_ waiter: Waiter, timeout: Double) -> Reply? {
        _ = waiter.signal.wait(timeout: .now() + max(0, timeout))
        cancel(waiter)
        return waiter.reply.withLock { $0 }
    }

    /// Unregisters a waiter that will not wait (e.g. its publish failed).
    func cancel(_ waiter: Waiter) {
        table.withLock { table in
            table[waiter.correlationId]?.removeAll { $0 === waiter }
            if table[waiter.correlationId]?.isEmpty == true { table[waiter.correlationId] = nil }
        }
    }

    /// Delivers a reply; returns false when nobody waits for it (late reply after a timeout).
    @discardableResult
    func deliver(_ reply: Reply, correlationId: String) -> Bool {
        let waiters = table.withLock { $0.removeValue(forKey: correlationId) ?? [] }
        for waiter in waiters {
            waiter.reply.withLock { $0 = reply }
            waiter.signal.signal()
        }
        return !waiters.isEmpty
    }

    /// Wakes every waiter without a reply (shutdown: the requests answer 202 Accepted).
    func releaseAll() {
        let all = table.withLock { table in
            defer { table.removeAll() }
            return table.values.flatMap { $0 }
        }
        for waiter in all { waiter.signal.signal() }
    }
}

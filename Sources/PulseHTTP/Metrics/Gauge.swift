import Synchronization

/// A value that goes up and down (Prometheus gauge), e.g. in-flight requests or queue depth.
public final class Gauge: Sendable {
    private let current = Mutex<Double>(0)

    init() {}

    /// Sets the value.
    public func set(_ value: Double) { current.withLock { $0 = value } }

    /// Adds `amount` (may be negative).
    public func increment(by amount: Double = 1) { current.withLock { $0 += amount } }

    /// Subtracts `amount`.
    public func decrement(by amount: Double = 1) { current.withLock { $0 -= amount } }

    /// The current value.
    public var value: Double { current.withLock { $0 } }
}

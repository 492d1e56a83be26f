import Synchronization

/// A monotonically increasing value (Prometheus counter). Name it `…_total`.
public final class Counter: Sendable {
    private let total = Mutex<Double>(0)

    init() {}

    /// Adds `amount`; negative or NaN amounts are ignored, as a counter never goes down.
    public func increment(by amount: Double = 1) {
        guard amount >= 0 else { return }
        total.withLock { $0 += amount }
    }

    /// The current total.
    public var value: Double { total.withLock { $0 } }
}

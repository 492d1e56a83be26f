import Synchronization

/// A distribution of observations in cumulative buckets (Prometheus histogram). Observe base units: seconds, bytes.
public final class Histogram: Sendable {
    /// Prometheus' default latency buckets, in seconds.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Snapshot {
        /// (upper bound, cumulative count), ending with +Inf.
        var buckets: [(Double, UInt64)]
        var sum: Double
        var count: UInt64
    }

    private struct State {
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    /// Sorted finite upper bounds; the +Inf bucket is implicit.
    let upperBounds: [Double]
    private let state: Mutex<State>

    init(buckets: [Double]) {
        upperBounds = Array(Set(buckets.filter(\.isFinite))).sorted()
        state = Mutex(State(counts: Array(repeating: 0, count: upperBounds.count + 1)))
    }

    /// Records one observation (e.g. a duration in seconds); NaN is ignored.
    public func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let index = upperBounds.firstIndex { value <= $0 } ?? upperBounds.count
        state.withLock { state in
            state.counts[index] += 1
            state.sum += value
            state.count += 1
        }
    }

    func snapshot() -> Snapshot {
        state.withLock { state in
            var running: UInt64 = 0
            var buckets: [(Double, UInt64)] = []
            for (bound, count) in zip(upperBounds + [.infinity], state.counts) {
                running += count
                buckets.append((bound, running))
            }
            return Snapshot(buckets: buckets, sum: state.sum, count: state.count)
        }
    }
}

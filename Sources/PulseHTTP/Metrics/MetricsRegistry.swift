import Synchronization

/// Holds a process's metrics and renders them in the Prometheus text exposition format (version 0.0.4).
/// Asking twice for the same name and labels returns the same metric. One registry per process, passed explicitly.
public final class MetricsRegistry: Sendable {
    private enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    private enum Series: Sendable {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(Histogram)
    }

    private struct Family: Sendable {
        let kind: Kind
        let help: String
        /// Keyed by the rendered label set (sorted names), e.g. `stage="trainer",outcome="ok"`.
        var series: [String: Series] = [:]
    }

    private let families = Mutex<[String: Family]>([:])

    /// Creates a registry with the `pulse_build_info{version="…"} 1` gauge.
    public init(version: String) {
        gauge("pulse_build_info", help: "Build information of this Pulse process.", labels: ["version": version]).set(1)
    }

    /// The counter `name{labels}`, created at zero on first use.
    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> Counter {
        let series = register(name, help: help, kind: .counter, labels: labels) { .counter(Counter()) }
        guard case .counter(let counter) = series else { preconditionFailure("unreachable: kind checked by register") }
        return counter
    }

    /// The gauge `name{labels}`, created at zero on first use.
    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        let series = register(name, help: help, kind: .gauge, labels: labels) { .gauge(Gauge()) }
        guard case .gauge(let gauge) = series else { preconditionFailure("unreachable: kind checked by register") }
        return gauge
    }

    /// The histogram `name{labels}` with the given finite upper bounds (+Inf is added). Buckets are fixed by the
    /// first call for a given name and labels.
    public func histogram(
        _ name: String,
        help: String,
        labels: [String: String] = [:],
        buckets: [Double] = Histogram.defaultBuckets
    ) -> Histogram {
        let series = register(name, help: help, kind: .histogram, labels: labels) { .histogram(Histogram(buckets: buckets)) }
        guard case .histogram(let histogram) = series else { preconditionFailure("unreachable: kind checked by register") }
        return histogram
    }

    /// Every metric in the text exposition format: families sorted by name, each with `# HELP` and `# TYPE`,
    /// series sorted by labels; histograms as `_bucket{le=…}`, `_sum`, `_count`.
    public func render() -> String {
        let snapshot = families.withLock { $0 }
        var out = ""
        for name in snapshot.keys.sorted() {
            guard let family = snapshot[name] else { continue }
            out += "# HELP \(name) \(Self.escapeHelp(family.help))\n"
            out += "# TYPE \(name) \(family.kind.rawValue)\n"
            for labels in family.series.keys.sorted() {
                switch family.series[labels] {
                case .counter(let counter):
                    out += "\(name)\(Self.braced(labels)) \(Self.format(counter.value))\n"
                case .gauge(let gauge):
                    out += "\(name)\(Self.braced(labels)) \(Self.format(gauge.value))\n"
                case .histogram(let histogram):
                    let state = histogram.snapshot()
                    for (bound, count) in state.buckets {
                        let le = "le=\"\(Self.format(bound))\""
                        out += "\(name)_bucket{\(labels.isEmpty ? le : labels + "," + le)} \(count)\n"
                    }
                    out += "\(name)_sum\(Self.braced(labels)) \(Self.format(state.sum))\n"
                    out += "\(name)_count\(Self.braced(labels)) \(state.count)\n"
                case nil:
                    continue
                }
            }
        }
        return out
    }

    /// Finds or creates a series. Reusing a name with another kind is a programming error and traps.
    private func register(_ name: String, help: String, kind: Kind, labels: [String: String], make: () -> Series) -> Series {
        let key = labels.keys.sorted().map { "\($0)=\"\(Self.escapeLabel(labels[$0] ?? ""))\"" }.joined(separator: ",")
        return families.withLock { families in
            var family = families[name] ?? Family(kind: kind, help: help)
            precondition(family.kind == kind, "metric \(name) is already registered as a \(family.kind.rawValue)")
            if let existing = family.series[key] { return existing }
            let series = make()
            family.series[key] = series
            families[name] = family
            return series
        }
    }

    private static func braced(_ labels: String) -> String {
        labels.isEmpty ? "" : "{\(labels)}"
    }

    /// Numbers as Prometheus clients print them: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// HELP text escapes `\` and newline; label values also escape `"`.
    private static func escapeHelp(_ text: String) -> String {
        escape(text, quotes: false)
    }

    private static func escapeLabel(_ text: String) -> String {
        escape(text, quotes: true)
    }

    private static func escape(_ text: String, quotes: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

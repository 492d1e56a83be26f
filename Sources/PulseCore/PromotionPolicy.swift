public import PulseContracts

/// Decides whether a candidate model replaces the production model, from metrics measured on the same holdout.
///
/// Rules name metrics of the evaluation's flat metrics object (`auc`, `logLoss`, `rmse`, …); each metric's
/// direction comes from `PromotionMetric`. Every rule's numbers and outcome are part of the decision, so the
/// record of a promotion says exactly why.
public struct PromotionPolicy: Codable, Sendable, Equatable {
    /// Floors for higher-is-better metrics. `nil` means the default: `auc ≥ 0.6` for a classifier, none otherwise.
    public var minimums: [String: Double]?
    /// Ceilings for lower-is-better metrics.
    public var maximums: [String: Double]
    /// The metric compared with the champion's. `nil` means the default: `auc` for a classifier, `rmse` for a regressor.
    public var compareOn: String?
    /// How far, in `compareOn`'s units, the candidate may fall behind the champion.
    public var maxRegression: Double
    /// A passing candidate waits for a person's approval instead of being promoted.
    public var requireApproval: Bool

    public static let defaultMinimumAuc = 0.6

    public init(
        minimums: [String: Double]? = nil, maximums: [String: Double] = [:], compareOn: String? = nil, maxRegression: Double = 0,
        requireApproval: Bool = false
    ) {
        self.minimums = minimums
        self.maximums = maximums
        self.compareOn = compareOn
        self.maxRegression = maxRegression
        self.requireApproval = requireApproval
    }

    /// The producer's policy with the aliases folded in (`minAuc` → `minimums.auc`, `maxAucRegression` →
    /// `compareOn: "auc"` + `maxRegression`). The payload has been validated, so the aliases agree.
    public init(_ payload: PromotionPolicyPayload?) {
        var minimums = payload?.minimums
        if let minAuc = payload?.minAuc { minimums = (minimums ?? [:]).merging(["auc": minAuc]) { $1 } }
        var compareOn = payload?.compareOn
        var maxRegression = payload?.maxRegression
        if let aliased = payload?.maxAucRegression {
            compareOn = compareOn ?? "auc"
            maxRegression = maxRegression ?? aliased
        }
        self.init(
            minimums: minimums, maximums: payload?.maximums ?? [:], compareOn: compareOn, maxRegression: maxRegression ?? 0,
            requireApproval: payload?.requireApproval ?? false
        )
    }

    /// The policy with its defaults made concrete for a candidate with these metric names (what is recorded).
    public func resolved(forMetrics names: some Sequence<String>) -> PromotionPolicy {
        let names = Set(names)
        let classifier = names.contains("auc")
        var copy = self
        copy.minimums = minimums ?? (classifier ? ["auc": Self.defaultMinimumAuc] : [:])
        copy.compareOn = compareOn ?? (classifier ? "auc" : names.contains("rmse") ? "rmse" : nil)
        return copy
    }

    public enum Outcome: String, Codable, Sendable {
        case promote, reject, awaitApproval = "await-approval"
    }

    /// One rule applied to the numbers.
    public struct Check: Codable, Sendable, Equatable {
        public enum Rule: String, Codable, Sendable { case minimum, maximum, regression }
        public let rule: Rule
        public let metric: String
        /// The bound (minimum, maximum) or the allowed regression.
        public let threshold: Double
        public let candidate: Double?
        public let champion: Double?
        /// How far the candidate is behind the champion (positive = worse), for the regression rule.
        public let regression: Double?
        public let passed: Bool
        public let detail: String
    }

    public struct Decision: Codable, Sendable, Equatable {
        public let outcome: Outcome
        public let reason: String
        public let checks: [Check]
        /// The policy as applied (defaults made concrete).
        public let policy: PromotionPolicy
    }

    /// Applies every rule. `champion` is nil when there is no production model yet.
    public func decide(candidate: [String: Double], champion: [String: Double]?) -> Decision {
        let policy = resolved(forMetrics: candidate.keys)
        var checks: [Check] = []
        for (metric, floor) in (policy.minimums ?? [:]).sorted(by: { $0.key < $1.key }) {
            checks.append(Self.bound(.minimum, metric, floor, candidate[metric]))
        }
        for (metric, ceiling) in policy.maximums.sorted(by: { $0.key < $1.key }) {
            checks.append(Self.bound(.maximum, metric, ceiling, candidate[metric]))
        }
        if let metric = policy.compareOn {
            checks.append(Self.regression(metric, allowed: policy.maxRegression, candidate: candidate[metric], champion: champion.map { $0[metric] }))
        }
        let failed = checks.filter { !$0.passed }
        if !failed.isEmpty {
            return Decision(outcome: .reject, reason: failed.map(\.detail).joined(separator: "; "), checks: checks, policy: policy)
        }
        let summary = checks.isEmpty ? "no rules apply" : checks.map(\.detail).joined(separator: "; ")
        if policy.requireApproval {
            return Decision(outcome: .awaitApproval, reason: "every rule passes (\(summary)); waiting for approval", checks: checks, policy: policy)
        }
        return Decision(outcome: .promote, reason: summary, checks: checks, policy: policy)
    }

    private static func bound(_ rule: Check.Rule, _ metric: String, _ bound: Double, _ value: Double?) -> Check {
        let word = rule == .minimum ? "minimum" : "maximum"
        guard let value, value.isFinite else {
            let what = value == nil ? "has no \(metric)" : "\(metric) is not a number"
            return Check(rule: rule, metric: metric, threshold: bound, candidate: value, champion: nil, regression: nil, passed: false,
                         detail: "the candidate \(what) (\(word) \(format(bound)))")
        }
        let passed = rule == .minimum ? value >= bound : value <= bound
        let relation = passed ? (rule == .minimum ? "≥" : "≤") : (rule == .minimum ? "is below the" : "is above the")
        return Check(rule: rule, metric: metric, threshold: bound, candidate: value, champion: nil, regression: nil, passed: passed,
                     detail: "candidate \(metric) \(format(value)) \(relation) \(word) \(format(bound))")
    }

    /// `champion` is nil without a production model, `.some(nil)` when the champion lacks the metric.
    private static func regression(_ metric: String, allowed: Double, candidate: Double?, champion: Double??) -> Check {
        func check(_ passed: Bool, _ championValue: Double?, _ regression: Double?, _ detail: String) -> Check {
            Check(rule: .regression, metric: metric, threshold: allowed, candidate: candidate, champion: championValue, regression: regression,
                  passed: passed, detail: detail)
        }
        guard let candidate, candidate.isFinite else {
            return check(false, nil, nil, "the candidate has no \(metric) to compare with the champion")
        }
        guard let champion else {
            return check(true, nil, nil, "no production model to compare \(metric) with")
        }
        guard let championValue = champion, championValue.isFinite else {
            return check(false, nil, nil, "the champion has no \(metric) on the candidate's holdout to compare with")
        }
        let direction = PromotionMetric.named(metric)?.direction ?? .higherIsBetter
        let behind = direction == .higherIsBetter ? championValue - candidate : candidate - championValue
        let passed = behind <= allowed
        let detail = passed
            ? "candidate \(metric) \(format(candidate)) vs champion \(format(championValue)) on the same holdout (allowed regression \(format(allowed)))"
            : "candidate \(metric) \(format(candidate)) is \(format(behind)) worse than the champion's \(format(championValue)) on the same holdout (allowed \(format(allowed)))"
        return check(passed, championValue, behind, detail)
    }
}

/// Four decimals, enough to read a reason; the exact numbers are in the checks.
func format(_ value: Double) -> String {
    let scaled = (value * 10_000).rounded() / 10_000
    return "\(scaled)"
}

import Foundation

/// A metric a promotion rule may name: the evaluation's metrics are a flat JSON object, and each name has a
/// direction (which way is better) and the range its values can take.
public struct PromotionMetric: Sendable, Equatable {
    public enum Direction: String, Codable, Sendable {
        case higherIsBetter = "higher-is-better"
        case lowerIsBetter = "lower-is-better"
    }

    public let name: String
    public let direction: Direction
    /// Values outside are impossible for the metric, so a threshold outside is a mistake.
    public let range: ClosedRange<Double>

    /// Classification (auc, logLoss, accuracy, precision, recall, f1, brier) and regression (rmse, mae, r2).
    public static let all: [PromotionMetric] = [
        PromotionMetric(name: "auc", direction: .higherIsBetter, range: 0...1),
        PromotionMetric(name: "accuracy", direction: .higherIsBetter, range: 0...1),
        PromotionMetric(name: "precision", direction: .higherIsBetter, range: 0...1),
        PromotionMetric(name: "recall", direction: .higherIsBetter, range: 0...1),
        PromotionMetric(name: "f1", direction: .higherIsBetter, range: 0...1),
        PromotionMetric(name: "r2", direction: .higherIsBetter, range: -Double.greatestFiniteMagnitude...1),
        PromotionMetric(name: "logLoss", direction: .lowerIsBetter, range: 0...Double.greatestFiniteMagnitude),
        PromotionMetric(name: "brier", direction: .lowerIsBetter, range: 0...1),
        PromotionMetric(name: "rmse", direction: .lowerIsBetter, range: 0...Double.greatestFiniteMagnitude),
        PromotionMetric(name: "mae", direction: .lowerIsBetter, range: 0...Double.greatestFiniteMagnitude),
    ]

    public static func named(_ name: String) -> PromotionMetric? { all.first { $0.name == name } }

    static var names: String { all.map(\.name).joined(separator: ", ") }
}

/// Rules a candidate must meet to become the production model, read against the metric names of its evaluation.
///
/// `minimums` holds floors for higher-is-better metrics, `maximums` ceilings for lower-is-better ones;
/// `compareOn` names the metric compared with the champion's on the candidate's holdout, and `maxRegression` how far
/// (in that metric's units) the candidate may fall behind it; `requireApproval` makes a passing candidate wait for a
/// person (`pulse.model.approve.v1`). `minAuc` and `maxAucRegression`, the first version's fields, stay as aliases:
/// `minAuc` is `minimums.auc`, `maxAucRegression` is `compareOn: "auc"` with `maxRegression`; giving both spellings
/// with different values is an error.
public struct PromotionPolicyPayload: Codable, Sendable, Equatable {
    public var minimums: [String: Double]?
    public var maximums: [String: Double]?
    public var compareOn: String?
    public var maxRegression: Double?
    public var requireApproval: Bool?
    /// Alias of `minimums.auc`.
    public var minAuc: Double?
    /// Alias of `compareOn: "auc"` + `maxRegression`.
    public var maxAucRegression: Double?

    public init(minAuc: Double? = nil, maxAucRegression: Double? = nil) {
        self.minAuc = minAuc
        self.maxAucRegression = maxAucRegression
    }

    public init(
        minimums: [String: Double]? = nil, maximums: [String: Double]? = nil, compareOn: String? = nil, maxRegression: Double? = nil,
        requireApproval: Bool? = nil
    ) {
        self.minimums = minimums
        self.maximums = maximums
        self.compareOn = compareOn
        self.maxRegression = maxRegression
        self.requireApproval = requireApproval
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case minimums, maximums, compareOn, maxRegression, requireApproval, minAuc, maxAucRegression
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// Refuses a field it does not know: a misspelt rule (`minimun`) must not pass as "no rule".
    public init(from decoder: any Decoder) throws {
        let any = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        for key in any.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath + [key],
                debugDescription: "unknown policy field '\(key.stringValue)'; known: \(CodingKeys.allCases.map(\.rawValue).joined(separator: ", "))"
            ))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        minimums = try container.decodeIfPresent([String: Double].self, forKey: .minimums)
        maximums = try container.decodeIfPresent([String: Double].self, forKey: .maximums)
        compareOn = try container.decodeIfPresent(String.self, forKey: .compareOn)
        maxRegression = try container.decodeIfPresent(Double.self, forKey: .maxRegression)
        requireApproval = try container.decodeIfPresent(Bool.self, forKey: .requireApproval)
        minAuc = try container.decodeIfPresent(Double.self, forKey: .minAuc)
        maxAucRegression = try container.decodeIfPresent(Double.self, forKey: .maxAucRegression)
    }

    /// Every problem at once, each with the JSON pointer of the field at fault.
    public func problems(at pointer: String) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        func add(_ field: String, _ detail: String) { errors.append(.init(pointer: pointer + "/" + field, detail: detail)) }
        func checkBound(_ group: String, _ name: String, _ value: Double, wants direction: PromotionMetric.Direction) {
            let field = group + "/" + Self.escape(name)
            guard let metric = PromotionMetric.named(name) else {
                return add(field, "unknown metric '\(name)'; known: \(PromotionMetric.names)")
            }
            guard metric.direction == direction else {
                let other = direction == .higherIsBetter ? "maximums" : "minimums"
                return add(field, "\(name) is \(metric.direction.rawValue): give a bound for it under \(other)")
            }
            guard value.isFinite else { return add(field, "must be a finite number") }
            if !metric.range.contains(value) { add(field, "is outside \(name)'s possible values (\(Self.describe(metric.range)))") }
        }
        for (name, value) in (minimums ?? [:]).sorted(by: { $0.key < $1.key }) { checkBound("minimums", name, value, wants: .higherIsBetter) }
        for (name, value) in (maximums ?? [:]).sorted(by: { $0.key < $1.key }) { checkBound("maximums", name, value, wants: .lowerIsBetter) }
        if let compareOn, PromotionMetric.named(compareOn) == nil {
            add("compareOn", "unknown metric '\(compareOn)'; known: \(PromotionMetric.names)")
        }
        if let maxRegression {
            if !maxRegression.isFinite {
                add("maxRegression", "must be a finite number")
            } else if maxRegression < 0 {
                add("maxRegression", "must be 0 or more: how far the candidate may fall behind the champion, in the metric's units")
            }
        }
        if let minAuc {
            if !(minAuc.isFinite && (0...1).contains(minAuc)) {
                add("minAuc", "must be between 0 and 1")
            } else if let floor = minimums?["auc"], floor != minAuc {
                add("minAuc", "is an alias of minimums.auc, which says \(floor); give one of them")
            }
        }
        if let maxAucRegression {
            if !(maxAucRegression.isFinite && (0...1).contains(maxAucRegression)) {
                add("maxAucRegression", "must be between 0 and 1")
            } else if let compareOn, compareOn != "auc" {
                add("maxAucRegression", "compares on auc, but compareOn says \(compareOn); use maxRegression")
            } else if let maxRegression, maxRegression != maxAucRegression {
                add("maxAucRegression", "is an alias of maxRegression (on auc), which says \(maxRegression); give one of them")
            }
        }
        return errors
    }

    /// RFC 6901: `~` and `/` in a member name.
    static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    private static func describe(_ range: ClosedRange<Double>) -> String {
        switch (range.lowerBound == -Double.greatestFiniteMagnitude, range.upperBound == Double.greatestFiniteMagnitude) {
        case (true, false): return "at most \(range.upperBound)"
        case (false, true): return "0 or more"
        default: return "between \(range.lowerBound) and \(range.upperBound)"
        }
    }
}

/// `pulse.model.promote.v1`: applies the policy to the model's latest evaluation.
public struct PromoteModel: Payload, Equatable {
    public var modelId: String
    public var policy: PromotionPolicyPayload?
    public init(modelId: String, policy: PromotionPolicyPayload? = nil) {
        self.modelId = modelId
        self.policy = policy
    }
    public func validate(pointer: String) throws(Problem) {
        var errors: [Problem.FieldError] = []
        if !EntityID.isValid(modelId, .model) { errors.append(.init(pointer: pointer + "/modelId", detail: "must be a model id (model_…)")) }
        errors += policy?.problems(at: pointer + "/policy") ?? []
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }
}

/// `pulse.model.approve.v1` and `pulse.model.reject.v1`: a person's decision on a candidate awaiting approval.
public struct ReviewModel: Payload, Equatable {
    public var modelId: String
    /// Who decides (recorded with the decision).
    public var approver: String
    public var note: String?
    public init(modelId: String, approver: String, note: String? = nil) {
        self.modelId = modelId
        self.approver = approver
        self.note = note
    }
    public func validate(pointer: String) throws(Problem) {
        var errors: [Problem.FieldError] = []
        if !EntityID.isValid(modelId, .model) { errors.append(.init(pointer: pointer + "/modelId", detail: "must be a model id (model_…)")) }
        let approver = approver.trimmingCharacters(in: .whitespacesAndNewlines)
        if approver.isEmpty || approver.count > 200 { errors.append(.init(pointer: pointer + "/approver", detail: "must name who decides (1 to 200 characters)")) }
        if let note, note.count > 2_000 { errors.append(.init(pointer: pointer + "/note", detail: "must be at most 2000 characters")) }
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }
}

/// `pulse.model.rollback.v1`: the production model of a name steps back to the one before it (or to `targetModelId`,
/// a model of the same name that was production before).
public struct RollbackModel: Payload, Equatable {
    public var modelName: String
    public var targetModelId: String?
    public var reason: String?
    /// Who asks (recorded with the decision).
    public var requestedBy: String?
    public init(modelName: String, targetModelId: String? = nil, reason: String? = nil, requestedBy: String? = nil) {
        self.modelName = modelName
        self.targetModelId = targetModelId
        self.reason = reason
        self.requestedBy = requestedBy
    }
    public func validate(pointer: String) throws(Problem) {
        var errors: [Problem.FieldError] = []
        if !SourceIdentifier.isValidPart(modelName) {
            errors.append(.init(pointer: pointer + "/modelName", detail: "must be letters, digits and underscores (≤ 63)"))
        }
        if let targetModelId, !EntityID.isValid(targetModelId, .model) {
            errors.append(.init(pointer: pointer + "/targetModelId", detail: "must be a model id (model_…)"))
        }
        if let reason, reason.count > 2_000 { errors.append(.init(pointer: pointer + "/reason", detail: "must be at most 2000 characters")) }
        if let requestedBy, requestedBy.count > 200 { errors.append(.init(pointer: pointer + "/requestedBy", detail: "must be at most 200 characters")) }
        if !errors.isEmpty { throw Problem.invalidFields(errors) }
    }
}

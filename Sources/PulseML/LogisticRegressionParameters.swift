/// Parameters of the logistic-regression baseline (liblinear's `L2R_LR`).
public struct LogisticRegressionParameters: Codable, Sendable, Equatable {
    /// Inverse regularisation strength, as liblinear's and scikit-learn's `C`.
    public var c: Double = 1
    /// liblinear's stopping tolerance (scikit-learn's `tol`); the default is scikit-learn's.
    public var eps: Double = 1e-4

    public init(c: Double = 1, eps: Double = 1e-4) {
        self.c = c
        self.eps = eps
    }

    /// Returns `self` if every value is in range.
    /// - Throws: `MLError.Code.invalidParameter` naming the first bad parameter; the message lists every problem.
    public func validated() throws -> LogisticRegressionParameters {
        var problems = [(field: String, problem: String)]()
        if !(c > 0 && c.isFinite) { problems.append(("c", "must be a finite number > 0")) }
        if !(eps > 0 && eps.isFinite) { problems.append(("eps", "must be a finite number > 0")) }
        guard let first = problems.first else { return self }
        let message = problems.map { "\($0.field) \($0.problem)" }.joined(separator: "; ")
        throw MLError(.invalidParameter, "invalid logistic regression parameters: \(message)", field: first.field)
    }
}

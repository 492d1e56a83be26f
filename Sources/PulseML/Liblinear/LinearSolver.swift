internal import CLinear

/// liblinear's L2-regularised logistic regression (solver `L2R_LR`, primal trust-region Newton), called on a
/// dense design matrix.
///
/// Stateless: every call builds its own `problem`, trains, copies the weights into Swift values and frees the
/// C model before returning, so calls on different threads share nothing (liblinear keeps no global state but
/// its print function, which is set once to print nothing).
enum LinearSolver {
    /// The weights and intercept of the decision function for label 1: P(y = 1 | x) = σ(w·x + b).
    ///
    /// The intercept is liblinear's bias feature (value 1), regularised like every weight — the same as
    /// scikit-learn's `LogisticRegression(solver="liblinear", intercept_scaling=1)`.
    /// - Parameters:
    ///   - design: `rows × columns` values, row after row; zeros are left out of liblinear's sparse rows.
    ///   - labels: 0 or 1, both present.
    static func trainLogistic(
        design: [Double], rows: Int, columns: Int, labels: [Double], c: Double, eps: Double
    ) throws -> (weights: [Double], intercept: Double) {
        precondition(design.count == rows * columns && labels.count == rows, "LinearSolver shape mismatch")
        _ = silence

        // Each row: its non-zero values (1-based indices), the bias node (index columns + 1), a terminator.
        var nodes: [feature_node] = []
        var starts: [Int] = []
        starts.reserveCapacity(rows)
        for row in 0..<rows {
            starts.append(nodes.count)
            for column in 0..<columns {
                let value = design[row * columns + column]
                if value != 0 { nodes.append(feature_node(index: Int32(column + 1), value: value)) }
            }
            nodes.append(feature_node(index: Int32(columns + 1), value: 1))
            nodes.append(feature_node(index: -1, value: 0))
        }

        return try nodes.withUnsafeMutableBufferPointer { nodeBuffer in
            let base = nodeBuffer.baseAddress
            var rowPointers: [UnsafeMutablePointer<feature_node>?] = starts.map { start in base.map { $0 + start } }
            var y = labels
            return try rowPointers.withUnsafeMutableBufferPointer { rowBuffer in
                try y.withUnsafeMutableBufferPointer { yBuffer in
                    var problem = CLinear.problem(
                        l: Int32(rows), n: Int32(columns + 1), y: yBuffer.baseAddress, x: rowBuffer.baseAddress, bias: 1)
                    var parameter = CLinear.parameter(
                        solver_type: Int32(L2R_LR), eps: eps, C: c, nr_weight: 0, weight_label: nil, weight: nil, p: 0.1,
                        init_sol: nil)
                    if let problemText = check_parameter(&problem, &parameter) {
                        throw MLError(.invalidParameter, "liblinear rejected the parameters", underlying: String(cString: problemText))
                    }
                    var trained = train(&problem, &parameter)
                    defer { free_and_destroy_model(&trained) }
                    guard let model = trained else { throw MLError(.library, "liblinear returned no model") }
                    guard get_nr_class(model) == 2 else {
                        throw MLError(.invalidData, "logistic regression needs both labels 0 and 1", field: "labels")
                    }
                    var classes = [Int32](repeating: 0, count: 2)
                    get_labels(model, &classes)
                    // liblinear's decision function favours its first label (the first row's); take label 1's side.
                    guard let positive = classes.firstIndex(of: 1) else {
                        throw MLError(.invalidData, "logistic regression needs labels 0 and 1", field: "labels")
                    }
                    let weights = (0..<columns).map { get_decfun_coef(model, Int32($0 + 1), Int32(positive)) }
                    return (weights, get_decfun_bias(model, Int32(positive)))
                }
            }
        }
    }

    /// The linked liblinear version, such as "2.30".
    static var libraryVersion: String {
        let version = Int(LIBLINEAR_VERSION)
        return "\(version / 100).\(version % 100 < 10 ? "0" : "")\(version % 100)"
    }

    /// Sets liblinear's print function once per process.
    private static let silence: Void = pulse_linear_silence()
}

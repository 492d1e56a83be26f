import Foundation
import PulseML
import Testing

@Suite struct LogisticRegressionTests {
    /// 40 rows drawn once with numpy (`default_rng(42)`, script in the commit message of this test): a numeric
    /// feature with three NULLs, a boolean, a text category with two NULLs, and a 0/1 label.
    static let rows: [(Double?, Bool, String?, Float)] = [
        (2.5, true, "b", 1), (0.5, false, "c", 0), (3.25, false, "b", 1), (nil, true, "b", 0), (-1.0, true, "c", 0),
        (0.0, true, nil, 0), (2.25, false, "a", 0), (1.5, false, "c", 0), (2.0, true, "b", 0), (0.75, true, "b", 0),
        (3.25, false, "b", 1), (3.25, true, "b", 1), (2.0, true, "a", 0), (3.75, false, "b", 1), (2.75, true, "c", 0),
        (0.75, false, "a", 0), (2.5, false, "b", 1), (nil, true, "a", 0), (3.25, true, "b", 1), (2.0, false, "b", 1),
        (1.75, true, "c", 0), (1.0, false, "a", 0), (3.75, true, nil, 1), (1.75, false, "b", 1), (1.25, true, "c", 0),
        (1.5, true, "c", 0), (2.75, true, "a", 0), (2.5, true, "a", 0), (2.5, false, "c", 0), (nil, true, "a", 0),
        (5.25, false, "c", 1), (1.5, true, "a", 0), (1.25, true, "c", 0), (0.75, false, "a", 0), (3.0, true, "b", 1),
        (3.75, true, "b", 1), (1.75, false, "a", 0), (0.75, false, "b", 0), (0.75, false, "b", 1), (3.0, false, "c", 1),
    ]

    static let spec = FeatureSpec(
        features: [
            .init(name: "x1", encoding: .numeric), .init(name: "x2", encoding: .boolean),
            .init(name: "cat", encoding: .categorical(vocabulary: ["a", "b", "c"])),
        ],
        label: "y")

    static func encode(_ x1: Double?, _ x2: Bool, _ cat: String?) -> [Float] {
        spec.encode { name in
            switch name {
            case "x1": x1.map(FeatureValue.number) ?? .missing
            case "x2": .bool(x2)
            default: cat.map(FeatureValue.text) ?? .missing
            }
        }
    }

    static func data() -> (DenseMatrix, [Float]) {
        var matrix = DenseMatrix(columns: 3)
        for row in rows { matrix.append(row: encode(row.0, row.1, row.2)) }
        return (matrix, rows.map(\.3))
    }

    static let parameters = LogisticRegressionParameters(c: 0.5, eps: 1e-10)

    /// Reference: scikit-learn 1.9.1, `LogisticRegression(solver="liblinear", C=0.5, tol=1e-10, intercept_scaling=1,
    /// max_iter=1000).fit(X, y)` on the same design matrix built in numpy (x1 and x2 standardised with the mean and
    /// population std of their non-missing values, NaN → 0; `cat` one-hot a, b, c; NULL all zero).
    @Test func matchesScikitLearnLiblinear() throws {
        let (matrix, labels) = Self.data()
        let model = try LogisticRegression.train(features: matrix, labels: labels, spec: Self.spec, parameters: Self.parameters)
        let expected = [1.2779221844822728, -0.5140171771951321, -0.9072401647355737, 0.829628234912316, -0.569194528251292]
        #expect(model.weights.count == expected.count)
        for (weight, reference) in zip(model.weights, expected) {
            #expect(abs(weight - reference) <= 1e-6 * abs(reference), "\(weight) vs \(reference)")
        }
        #expect(abs(model.intercept - -0.5120796668082528) <= 1e-6 * 0.5120796668082528)
        // predict_proba(X)[:, 1] of the first four rows.
        let probabilities = try model.predict(matrix.rows(0..<4))
        for (probability, reference) in zip(probabilities, [0.5797838450563362, 0.107457752069834, 0.8940286774188245, 0.46321720553628243]) {
            #expect(abs(Double(probability) - reference) <= 1e-6, "\(probability) vs \(reference)")
        }
        // A category never seen in training is all zeros in the one-hot block, never a crash:
        // sklearn's predict_proba on [(3.5 − mean)/std, (1 − mean)/std, 0, 0, 0].
        let unseen = DenseMatrix(rows: 1, columns: 3, values: Self.encode(3.5, true, "zzz"))
        #expect(abs(Double(try model.predict(unseen)[0]) - 0.6292228562818943) <= 1e-6)
    }

    @Test func trainingIsDeterministicToTheByteAndTheFileRoundTrips() throws {
        let (matrix, labels) = Self.data()
        let first = try LogisticRegression.train(features: matrix, labels: labels, spec: Self.spec, parameters: .init())
        let second = try LogisticRegression.train(features: matrix, labels: labels, spec: Self.spec, parameters: .init())
        let bytes = try first.serializedJSON()
        #expect(bytes == (try second.serializedJSON()))
        let loaded = try Algorithm.logisticRegression.loadModel(json: bytes)
        #expect(try loaded.predict(matrix) == (try first.predict(matrix)))
        #expect(try loaded.serializedJSON() == bytes)
    }

    @Test(arguments: [
        (LogisticRegressionParameters(c: 0), "c"), (LogisticRegressionParameters(c: -1), "c"),
        (LogisticRegressionParameters(c: .infinity), "c"), (LogisticRegressionParameters(c: .nan), "c"),
        (LogisticRegressionParameters(eps: 0), "eps"), (LogisticRegressionParameters(eps: .nan), "eps"),
    ])
    func badParametersNameTheField(parameters: LogisticRegressionParameters, field: String) throws {
        let (matrix, labels) = Self.data()
        let error = try #require(throws: MLError.self) {
            try LogisticRegression.train(features: matrix, labels: labels, spec: Self.spec, parameters: parameters)
        }
        #expect(error.code == .invalidParameter)
        #expect(error.field == field)
    }

    @Test func badLabelsAreErrorsNotCrashes() throws {
        let (matrix, labels) = Self.data()
        let notBinary = try #require(throws: MLError.self) {
            try LogisticRegression.train(features: matrix, labels: labels.map { $0 * 2 }, spec: Self.spec, parameters: .init())
        }
        #expect(notBinary.field == "labels")
        let oneClass = try #require(throws: MLError.self) {
            try LogisticRegression.train(features: matrix, labels: labels.map { _ in 1 }, spec: Self.spec, parameters: .init())
        }
        #expect(oneClass.field == "labels")
        #expect(throws: MLError.self) { try LogisticRegression.load(json: Data("{}".utf8)) }
    }
}

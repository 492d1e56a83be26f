import Foundation
import PulseML
import Testing

@Suite struct BoosterTests {
    /// 400 rows from a fixed linear congruential generator: label = x0 + 0.5·x1 > 0.8, a noise column,
    /// and some missing values. Separable by construction (hand reasoning), so AUC on it is near 1.
    static func separableData() -> (DenseMatrix, [Float]) {
        var state: UInt64 = 42
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        var matrix = DenseMatrix(columns: 3)
        var labels = [Float]()
        for row in 0..<400 {
            let x0 = next()
            let x1 = next()
            let noise = next()
            labels.append(x0 + 0.5 * x1 > 0.8 ? 1 : 0)
            matrix.append(row: [x0, x1, row % 37 == 0 ? .nan : noise])
        }
        return (matrix, labels)
    }

    static let parameters = BoosterParameters(rounds: 30, maxDepth: 4, learningRate: 0.3, seed: 7, threads: 2)

    @Test func trainsASeparableDataSet() throws {
        let (matrix, labels) = Self.separableData()
        var rounds = [Int]()
        let booster = try Booster.train(features: matrix, labels: labels, parameters: Self.parameters) { rounds.append($0) }
        #expect(rounds == Array(1...30))
        let scores = try booster.predict(matrix)
        #expect(scores.count == 400)
        #expect(scores.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(ClassificationMetrics(labels: labels, scores: scores).auc > 0.95)
    }

    @Test func trainingIsDeterministicToTheByte() throws {
        let (matrix, labels) = Self.separableData()
        let parameters = BoosterParameters(rounds: 20, maxDepth: 5, seed: 11, threads: 2, subsample: 0.8, colsampleByTree: 0.7)
        let first = try Booster.train(features: matrix, labels: labels, parameters: parameters).serializedJSON()
        let second = try Booster.train(features: matrix, labels: labels, parameters: parameters).serializedJSON()
        #expect(first == second)
        #expect(first.count > 1000)
    }

    @Test func jsonRoundTripKeepsPredictionsExactly() throws {
        let (matrix, labels) = Self.separableData()
        let booster = try Booster.train(features: matrix, labels: labels, parameters: Self.parameters)
        let json = try booster.serializedJSON()
        let loaded = try Booster.load(json: json)
        #expect(try loaded.predict(matrix) == booster.predict(matrix))
        #expect(try loaded.serializedJSON() == json)
    }

    @Test func loadsAModelTrainedByPythonXGBoost() throws {
        let booster = try Booster.load(json: Data(PythonXGBoostModel.json.utf8))
        let features = DenseMatrix(rows: 24, columns: 2, values: PythonXGBoostModel.features)
        let predictions = try booster.predict(features)
        #expect(zip(predictions, PythonXGBoostModel.predictions).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test func regressionObjective() throws {
        let (matrix, _) = Self.separableData()
        let targets = (0..<matrix.rows).map { 2 * matrix[$0, 0] + 1 }
        var parameters = Self.parameters
        parameters.objective = "reg:squarederror"
        let booster = try Booster.train(features: matrix, labels: targets, parameters: parameters)
        let metrics = RegressionMetrics(targets: targets, predictions: try booster.predict(matrix))
        #expect(metrics.r2 > 0.95)
    }

    @Test func badInputIsAnErrorNotACrash() throws {
        let (matrix, labels) = Self.separableData()
        let short = try #require(throws: MLError.self) {
            try Booster.train(features: matrix, labels: Array(labels.dropLast()), parameters: Self.parameters)
        }
        #expect(short.field == "labels")
        #expect(short.disposition == .deadLetter)
        let notBinary = try #require(throws: MLError.self) {
            try Booster.train(features: matrix, labels: labels.map { $0 * 2 }, parameters: Self.parameters)
        }
        #expect(notBinary.field == "labels")
        let garbage = try #require(throws: MLError.self) { try Booster.load(json: Data("{not json".utf8)) }
        #expect(garbage.code == .invalidModel)
        #expect(garbage.underlying != nil)
    }

    @Test func libraryVersionIsReported() {
        #expect(Booster.libraryVersion.split(separator: ".").count == 3)
    }
}

extension BoosterTests {
    @Test func regressionTrainingIsDeterministicToTheByte() throws {
        let (matrix, labels) = Self.separableData()
        let targets = (0..<matrix.rows).map { matrix[$0, 0] * 3 - matrix[$0, 1] + labels[$0] }
        var parameters = Self.parameters
        parameters.objective = "reg:squarederror"
        let first = try Booster.train(features: matrix, labels: targets, parameters: parameters)
        let second = try Booster.train(features: matrix, labels: targets, parameters: parameters)
        #expect(try first.serializedJSON() == (try second.serializedJSON()))
        let loaded = try Algorithm.xgboost.loadModel(json: try first.serializedJSON())
        #expect(try loaded.predict(matrix) == (try first.predict(matrix)))
    }
}

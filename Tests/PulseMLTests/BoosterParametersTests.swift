import Foundation
import PulseML
import Testing

// Ranges from the PulseML contract: rounds 1…5000, maxDepth 1…20, learningRate (0, 1], objective in
// {binary:logistic, reg:squarederror}, threads 1…64.
@Suite struct BoosterParametersTests {
    @Test func defaultsAreValid() throws {
        #expect(try BoosterParameters().validated() == BoosterParameters())
    }

    @Test(arguments: [
        (BoosterParameters(rounds: 0), "rounds"),
        (BoosterParameters(rounds: 5001), "rounds"),
        (BoosterParameters(maxDepth: 21), "maxDepth"),
        (BoosterParameters(learningRate: 0), "learningRate"),
        (BoosterParameters(learningRate: 1.5), "learningRate"),
        (BoosterParameters(objective: "multi:softmax"), "objective"),
        (BoosterParameters(threads: 0), "threads"),
        (BoosterParameters(threads: 65), "threads"),
        (BoosterParameters(subsample: 0), "subsample"),
        (BoosterParameters(lambda: -1), "lambda"),
    ])
    func invalidValueNamesTheField(parameters: BoosterParameters, field: String) throws {
        let error = try #require(throws: MLError.self) { try parameters.validated() }
        #expect(error.code == .invalidParameter)
        #expect(error.field == field)
        #expect(error.message.contains(field))
        #expect(error.disposition == .deadLetter)
    }

    @Test func missingKeysDecodeToDefaults() throws {
        let decoded = try JSONDecoder().decode(BoosterParameters.self, from: Data(#"{"rounds":5,"maxDepth":3}"#.utf8))
        #expect(decoded == BoosterParameters(rounds: 5, maxDepth: 3))
    }

    @Test func trainingRejectsInvalidParameters() throws {
        let matrix = DenseMatrix(rows: 2, columns: 1, values: [0, 1])
        let error = try #require(throws: MLError.self) {
            try Booster.train(features: matrix, labels: [0, 1], parameters: BoosterParameters(maxDepth: 0))
        }
        #expect(error.field == "maxDepth")
    }
}

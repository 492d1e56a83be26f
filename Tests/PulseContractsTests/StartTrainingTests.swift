import PulseContracts
import Testing

/// `StartTraining`'s validation names every bad field with its JSON pointer.
@Suite struct StartTrainingTests {
    static func request(_ change: (inout StartTraining) -> Void = { _ in }) -> StartTraining {
        var request = StartTraining(datasetId: "dset_0123456789abcdef0123456789ab", datasetVersion: 1, modelName: "late", label: "is_late")
        change(&request)
        return request
    }

    static func pointers(_ request: StartTraining) -> [String] {
        do {
            try request.validate(pointer: "/payload")
            return []
        } catch {
            return error.errors?.map(\.pointer) ?? ["(no field errors)"]
        }
    }

    @Test func theDefaultsAndEveryChoiceAreValid() {
        #expect(Self.pointers(Self.request()) == [])
        #expect(Self.pointers(Self.request {
            $0.algorithm = "logistic-regression"
            $0.objective = "binary:logistic"
            $0.parameters = TrainingParameters(c: 0.5, eps: 1e-6)
            $0.include = ["scheduled_at"]
            $0.timestamps = "parts"
        }) == [])
        #expect(Self.pointers(Self.request {
            $0.algorithm = "xgboost"
            $0.objective = "reg:squarederror"
            $0.timestamps = "exclude"
        }) == [])
    }

    @Test(arguments: [
        (Self.request { $0.algorithm = "random-forest" }, ["/payload/algorithm"]),
        (Self.request { $0.objective = "multi:softmax" }, ["/payload/objective"]),
        (Self.request { $0.algorithm = "logistic-regression"; $0.objective = "reg:squarederror" }, ["/payload/objective"]),
        (Self.request { $0.timestamps = "epoch" }, ["/payload/timestamps"]),
        (Self.request { $0.include = ["ok", "not a column"] }, ["/payload/include/1"]),
        (Self.request { $0.parameters = TrainingParameters(c: 0) }, ["/payload/parameters/c"]),
        (Self.request { $0.parameters = TrainingParameters(c: .infinity, eps: -1) }, ["/payload/parameters/c", "/payload/parameters/eps"]),
        (Self.request { $0.parameters = TrainingParameters(eps: .nan) }, ["/payload/parameters/eps"]),
    ])
    func invalidFieldsAreNamed(request: StartTraining, expected: [String]) {
        #expect(Self.pointers(request) == expected)
    }
}

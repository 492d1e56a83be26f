import Foundation
import PulseContracts
import Testing

/// A policy names what is wrong with it field by field, as JSON pointers into the envelope.
@Suite("Promotion policy payload")
struct PromotionPolicyPayloadTests {
    static let modelId = EntityID.random(.model)

    private func problem(_ policy: PromotionPolicyPayload) -> Problem? {
        do {
            try PromoteModel(modelId: Self.modelId, policy: policy).validate(pointer: "/payload")
            return nil
        } catch {
            return error
        }
    }

    private func pointers(_ policy: PromotionPolicyPayload) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (problem(policy)?.errors ?? []).map { ($0.pointer, $0.detail) })
    }

    @Test func aWellFormedPolicyPasses() {
        #expect(problem(PromotionPolicyPayload(
            minimums: ["auc": 0.7, "r2": -0.5], maximums: ["logLoss": 0.6, "rmse": 12], compareOn: "auc", maxRegression: 0.01, requireApproval: true
        )) == nil)
        #expect(problem(PromotionPolicyPayload(minAuc: 0.55, maxAucRegression: 0)) == nil)
    }

    @Test func everyFaultIsNamed() {
        var policy = PromotionPolicyPayload(
            minimums: ["aucc": 0.7, "logLoss": 0.5, "accuracy": 1.5, "f1": .nan], maximums: ["auc": 0.9], compareOn: "gini", maxRegression: -0.1
        )
        policy.minAuc = 2
        let errors = pointers(policy)
        #expect(errors["/payload/policy/minimums/aucc"]?.contains("unknown metric 'aucc'") == true)
        #expect(errors["/payload/policy/minimums/logLoss"]?.contains("lower-is-better: give a bound for it under maximums") == true)
        #expect(errors["/payload/policy/minimums/accuracy"]?.contains("between 0.0 and 1.0") == true)
        #expect(errors["/payload/policy/minimums/f1"] == "must be a finite number")
        #expect(errors["/payload/policy/maximums/auc"]?.contains("higher-is-better: give a bound for it under minimums") == true)
        #expect(errors["/payload/policy/compareOn"]?.contains("unknown metric 'gini'") == true)
        #expect(errors["/payload/policy/maxRegression"]?.hasPrefix("must be 0 or more") == true)
        #expect(errors["/payload/policy/minAuc"] == "must be between 0 and 1")
        #expect(errors.count == 8)
        #expect(pointers(PromotionPolicyPayload(maxRegression: .nan))["/payload/policy/maxRegression"] == "must be a finite number")
        #expect(pointers(PromotionPolicyPayload(maxRegression: .infinity))["/payload/policy/maxRegression"] == "must be a finite number")
        // A member name with '/' is escaped (RFC 6901).
        #expect(pointers(PromotionPolicyPayload(minimums: ["a/b": 1]))["/payload/policy/minimums/a~1b"] != nil)
    }

    @Test func aliasesMustAgreeWithTheNewFields() {
        var policy = PromotionPolicyPayload(minimums: ["auc": 0.7], compareOn: "rmse")
        policy.minAuc = 0.6
        policy.maxAucRegression = 0.01
        let errors = pointers(policy)
        #expect(errors["/payload/policy/minAuc"]?.contains("alias of minimums.auc") == true)
        #expect(errors["/payload/policy/maxAucRegression"]?.contains("compareOn says rmse") == true)
        var same = PromotionPolicyPayload(minimums: ["auc": 0.7], maxRegression: 0.01)
        same.minAuc = 0.7
        same.maxAucRegression = 0.01
        #expect(problem(same) == nil)
    }

    @Test func anUnknownPolicyFieldIsRefusedWithItsPointer() throws {
        let envelope = Envelope(
            kind: .mutation, name: Operations.promoteModel.rawValue, version: 1, messageId: MessageID.make(), timestamp: Date(), tenantId: "acme",
            payload: try JSONValue.parse(Data(#"{"modelId":"\#(Self.modelId)","policy":{"minimun":{"auc":0.7}}}"#.utf8))
        )
        do {
            _ = try OperationCatalog.validate(envelope)
            Issue.record("an unknown policy field passed")
        } catch {
            #expect(error.errors?.first?.pointer == "/payload/policy/minimun")
            #expect(error.errors?.first?.detail.contains("unknown policy field 'minimun'") == true)
        }
    }

    @Test func reviewAndRollbackPayloads() {
        #expect(throws: Problem.self) { try ReviewModel(modelId: Self.modelId, approver: "  ").validate(pointer: "/payload") }
        #expect(throws: Never.self) { try ReviewModel(modelId: Self.modelId, approver: "ada", note: "looks right").validate(pointer: "/payload") }
        #expect(throws: Problem.self) { try RollbackModel(modelName: "late arrival").validate(pointer: "/payload") }
        #expect(throws: Problem.self) { try RollbackModel(modelName: "late_arrival", targetModelId: "nope").validate(pointer: "/payload") }
        #expect(throws: Never.self) { try RollbackModel(modelName: "late_arrival", reason: "bad batch").validate(pointer: "/payload") }
    }
}

import Foundation
import PulseContracts
import PulseML
import Testing

@testable import PulseRuntime

/// Models trained by an earlier Pulse keep loading after an upgrade: their manifests have no `objective`, no
/// `holdoutPredictionsKey` and no exact-KS values in the reference profile.
@Suite("Model manifests written by an earlier Pulse")
struct ModelManifestCompatibilityTests {
    /// The shape the trainer wrote before logistic regression and regression objectives existed (fields as in
    /// `ModelManifest` at commit 259baa4; numbers shortened from a real January model).
    static let earlierManifest = #"""
    {"modelId": "model_01a241e31d18c6e0b89cad1b525a", "modelName": "late_arrival", "version": 1,
     "algorithm": "xgboost", "library": "xgboost 1.7.4",
     "parameters": {"rounds": 100, "maxDepth": 6, "learningRate": 0.3, "objective": "binary:logistic", "seed": 7, "threads": 2,
                    "subsample": 1, "colsampleByTree": 1, "minChildWeight": 1, "lambda": 1},
     "featureSpec": {"label": "is_late", "features": [{"name": "dep_hour", "encoding": "numeric"},
                                                      {"name": "origin", "encoding": "categorical", "vocabulary": ["EWR", "JFK", "LGA"]}]},
     "dataset": {"datasetId": "dset_01a241e31cfc347a8c40e352404a", "version": 1, "datasetVersionId": "dsv_01a241e31cfc993fe604bbfb9c22",
                 "contentHash": "a1584865d318fcde56a410292385eec6a8d092b11327dc113f4fa81046dd9091"},
     "trainRows": 128542, "holdoutRows": 32136, "holdoutFraction": 0.2,
     "holdoutMetrics": {"count": 32136, "positives": 9169, "auc": 0.7116516543106325, "logLoss": 0.568771367013547,
                        "accuracy": 0.7247323873537466, "precision": 0.5233280369781886, "recall": 0.3951357836187152,
                        "f1": 0.4502858563261248, "brier": 0.1883075983983099},
     "reference": {"rows": 128542,
                   "features": [{"name": "dep_hour", "kind": "numeric", "count": 128542, "missing": 0,
                                 "bins": {"edges": [8, 12, 16], "proportions": [0.2, 0.3, 0.3, 0.2], "missing": 0,
                                          "quantiles": [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]}}],
                   "prediction": {"edges": [0.1, 0.2], "proportions": [0.3, 0.4, 0.3], "missing": 0}},
     "modelKey": "tenants/demo/models/late_arrival/model_01a241e31d18c6e0b89cad1b525a/model.json",
     "createdAt": "2026-12-03T21:40:00.000Z"}
    """#

    @Test func anEarlierManifestDecodesAsABinaryClassifierWithoutAHoldoutFile() throws {
        let manifest = try JSONCodec.decode(ModelManifest.self, from: Data(Self.earlierManifest.utf8))
        #expect(manifest.objective == "binary:logistic")
        #expect(manifest.holdoutPredictionsKey == nil)
        #expect(manifest.holdoutMetrics.auc == 0.7116516543106325)
        #expect(manifest.reference.features.first?.bins?.distinct == nil)
        guard case .xgboost(let parameters) = manifest.parameters else {
            Issue.record("parameters with rounds are XGBoost's: \(manifest.parameters)")
            return
        }
        #expect(parameters.rounds == 100)
    }

    @Test func aManifestWrittenNowRoundTrips() throws {
        let earlier = try JSONCodec.decode(ModelManifest.self, from: Data(Self.earlierManifest.utf8))
        let again = try JSONCodec.decode(ModelManifest.self, from: try JSONCodec.encode(earlier))
        #expect(again.objective == earlier.objective)
        #expect(again.featureSpec == earlier.featureSpec)
        #expect(again.holdoutMetrics == earlier.holdoutMetrics)
    }
}

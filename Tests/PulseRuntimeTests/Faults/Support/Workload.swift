import Foundation
import PulseContracts

/// The cheap operations the scenarios use for volume, as jobs for `LoadRun`. Keys are derived from a prefix and an
/// index, so the reference run and the disturbed run submit the same operations with the same message ids.
enum Workload {
    /// Scores batch `batch` (`rows` February flights), then records their outcomes as feedback.
    static func scoreAndFeedback(_ client: FaultClient, _ baseline: FaultBaseline, prefix: String, batch: Int, rows: Int) -> @Sendable () -> Void {
        // Batches walk through the February rows and wrap around (another batch, another message: new predictions).
        let offset = (batch * rows) % max(1, baseline.scoringRows.count - rows)
        let slice = Array(baseline.scoringRows.dropFirst(offset).prefix(rows))
        let late = Dictionary(uniqueKeysWithValues: slice.map { ($0.key, $0.late) })
        let body = #"{"modelName":"\#(FaultBaseline.modelName)","rows":["# + slice.map(\.json).joined(separator: ",") + "]}"
        return {
            let predictionKey = "\(prefix)-p\(batch)"
            guard let scored = client.submit(.prediction, stage: .scorer, path: "/predictions", key: predictionKey, body: body, expectedRows: slice.count),
                  let predictions = scored["predictions"] as? [[String: Any]] else { return }
            let items = predictions.map { prediction -> [String: Any] in
                ["predictionId": prediction["predictionId"] ?? "", "outcome": late[prediction["key"] as? String ?? ""] == true ? 1 : 0]
            }
            guard let feedback = try? FaultJSON.text(["items": items]) else { return }
            client.submit(
                .feedback, stage: .driftMonitor, path: "/feedback", key: "\(prefix)-f\(batch)", body: feedback, expectedRows: items.count,
                referenceKey: predictionKey
            )
        }
    }

    /// Extracts three days of January flights (New York time; about 2,700 rows in parts of 1,000, the smallest
    /// part the API takes), freezes them as a dataset and trains a tiny model on it: extractor → snapshotter →
    /// trainer (→ evaluator, which takes the training.completed event). `chain` picks the days (a 3-day window
    /// from January 8 on) and names the keys, dataset and model.
    static func extractSnapshotTrain(_ client: FaultClient, _ baseline: FaultBaseline, prefix: String, chain: Int) -> @Sendable () -> Void {
        let first = 8 + (chain % 7) * 3
        let extraction = FaultBaseline.extraction(
            dataSourceId: baseline.dataSourceId, after: String(format: "2013-01-%02d 04:59:59+00", first),
            upTo: String(format: "2013-01-%02d 04:59:59+00", first + 3), chunkRows: 1_000
        )
        let body = (try? FaultJSON.text(extraction)) ?? "{}"
        let name = "\(prefix)_chain\(chain)"
        return {
            guard let extracted = client.submit(.extraction, stage: .extractor, path: "/extractions", key: "\(prefix)-x\(chain)", body: body),
                  let extractionId = extracted["extractionId"] as? String,
                  let snapshotBody = try? FaultJSON.text(["datasetName": name, "extractionIds": [extractionId]]),
                  let snapshot = client.submit(.snapshot, stage: .snapshotter, path: "/datasets/snapshot", key: "\(prefix)-s\(chain)", body: snapshotBody),
                  let datasetId = snapshot["datasetId"] as? String, let version = snapshot["version"] as? Int,
                  let trainingBody = try? FaultJSON.text([
                      "datasetId": datasetId, "datasetVersion": version, "modelName": name, "label": "is_late",
                      "parameters": ["rounds": 10, "maxDepth": 3],
                  ])
            else { return }
            client.submit(.training, stage: .trainer, path: "/training-jobs", key: "\(prefix)-t\(chain)", body: trainingBody)
        }
    }

    /// The mixed pipeline load of the kill and restart scenarios: job `index` scores batch `index` (25 rows) and
    /// gives its feedback; every eighth job also runs an extract → snapshot → train chain.
    static func pipeline(_ client: FaultClient, _ baseline: FaultBaseline, prefix: String, index: Int) -> @Sendable () -> Void {
        let score = scoreAndFeedback(client, baseline, prefix: prefix, batch: index, rows: 25)
        guard index % 8 == 0 else { return score }
        let chain = extractSnapshotTrain(client, baseline, prefix: prefix, chain: index / 8)
        return {
            chain()
            score()
        }
    }

    /// One training job on the baseline's dataset (`week1` v1); `index` varies the seed (and the row sampling with
    /// it), so every job is a different model of about the same cost: jobs started together finish together.
    /// All jobs of one prefix register versions of the same model name.
    /// With `async`, the job is only handed over (`Prefer: respond-async`).
    static func training(_ client: FaultClient, _ baseline: FaultBaseline, prefix: String, index: Int, rounds: Int, async: Bool = false) -> @Sendable () -> Void {
        let body = (try? FaultJSON.text([
            "datasetId": baseline.datasetId, "datasetVersion": baseline.datasetVersion, "modelName": "\(prefix)_pool", "label": "is_late",
            "parameters": ["rounds": rounds, "maxDepth": 4, "seed": 100 + index, "subsample": 0.8],
        ])) ?? "{}"
        return {
            if async {
                client.submitAsync(.training, stage: .trainer, path: "/training-jobs", key: "\(prefix)-t\(index)", body: body)
            } else {
                client.submit(.training, stage: .trainer, path: "/training-jobs", key: "\(prefix)-t\(index)", body: body)
            }
        }
    }
}

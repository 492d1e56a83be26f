import Foundation
import PulseContracts
import PulseRuntime
import PulseStorage
import Synchronization

/// What every fault scenario starts from, built once per test process: a metadata database (used as a template:
/// each stack is a `CREATE DATABASE … TEMPLATE` copy of it) holding tenant `faults` with the demo source
/// registered, the first week of January 2013 extracted and frozen as dataset `week1` version 1, and a small
/// model `late_arrival` trained on it, evaluated and promoted; plus February flights to score.
///
/// Built through the gateway with every stage's worker host in-process (the pipeline end-to-end test checks that
/// path in detail); the scenarios then run the real executables against copies.
final class FaultBaseline: Sendable {
    static let tenant = "faults"
    static let modelName = "late_arrival"
    static let labelView = "pulse_views.flight_labels"
    static let featureView = "pulse_views.flight_features"

    /// One row to score: its key, its JSON (`{"key":…,"features":{…}}`) and whether the flight was late.
    struct ScoringRow: Sendable {
        let key: String
        let json: String
        let late: Bool
    }

    let adminURL: String
    let amqpURL: String
    let templateDatabase: String
    /// Shared by every stack: the copies reference the baseline's dataset parts and model files.
    let objectStore: URL
    let keyFile: URL
    let directory: URL
    let dataSourceId: String
    let datasetId: String
    let datasetVersion = 1
    let modelId: String
    /// February flights (never seen by the model), in cursor order.
    let scoringRows: [ScoringRow]
    /// Entity rows the baseline itself created (one extraction, one dataset version, one training job and model).
    let entityCounts: EntityCounts

    private static let built = Mutex<Result<FaultBaseline, FaultSuiteError>?>(nil)

    /// The baseline, built on first use (later calls get the same one, or the same failure).
    static func shared() throws -> FaultBaseline {
        try built.withLock { built in
            let result = built ?? Result { try FaultBaseline() }.mapError { FaultSuiteError("building the fault baseline failed: \($0)") }
            built = result
            return try result.get()
        }
    }

    private init() throws {
        guard let adminURL = FaultEnvironment.adminDatabaseURL, let amqpURL = FaultEnvironment.amqpURL,
              let sourceURL = FaultEnvironment.sourceURL else {
            throw FaultSuiteError("missing test services: \(FaultEnvironment.missing.joined(separator: ", "))")
        }
        self.adminURL = adminURL
        self.amqpURL = amqpURL
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let templateDatabase = "pulse_faults_base_\(suffix)"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-faults-\(suffix)")
        let objectStore = directory.appendingPathComponent("objects")
        let keyFile = directory.appendingPathComponent("master.key")
        (self.templateDatabase, self.directory, self.objectStore, self.keyFile) = (templateDatabase, directory, objectStore, keyFile)
        try FileManager.default.createDirectory(at: objectStore, withIntermediateDirectories: true)
        try Data(String(repeating: "c4", count: 32).utf8).write(to: keyFile)
        let databaseURL = try FaultDatabases.create(templateDatabase, adminURL: adminURL)
        atexit(FaultBaseline.cleanUp)
        FaultBaseline.cleanUpTargets.withLock { $0 = (adminURL, templateDatabase, directory) }

        var configuration = RuntimeConfiguration(
            databaseURL: databaseURL, amqpURL: amqpURL, objectStoreRoot: objectStore, masterKeyFile: keyFile,
            topologyFile: FaultEnvironment.topologyFile
        )
        configuration.topologyPrefix = "fbase\(suffix)"
        configuration.replyTimeoutSeconds = 120
        let gateway = try Gateway(configuration: configuration)
        try gateway.start()
        let workers = WorkerPool(configuration: configuration, handlers: [
            ExtractorHandler(), SnapshotterHandler(), TrainerHandler(), EvaluatorHandler(), PromoterHandler(),
        ])
        let client = GatewayClient(port: gateway.port)
        defer {
            client.finish()
            workers.stop()
            gateway.stop()
            FaultBroker.deleteTopology(prefix: configuration.topologyPrefix)
        }
        let headers = ["Pulse-Tenant": Self.tenant]
        func post(_ path: String, _ body: [String: Any]) throws -> [String: Any] {
            let response = try client.send("POST", path, headers: headers, body: try FaultJSON.text(body))
            guard response.status == 200, let object = try FaultJSON.object(response.body) else {
                throw FaultSuiteError("POST \(path) answered \(response.status): \(response.text.prefix(500))")
            }
            return object
        }

        let source = try FaultBaseline.connection(of: sourceURL)
        let registered = try post("/datasources", [
            "name": "flights", "kind": "postgres", "connection": source, "allowlist": [Self.featureView, Self.labelView],
        ])
        let dataSourceId = try FaultJSON.string(registered, "id")
        self.dataSourceId = dataSourceId
        // Flights scheduled in the first week of January 2013, New York time (UTC-5).
        let extraction = try post("/extractions", Self.extraction(dataSourceId: dataSourceId, after: nil, upTo: "2013-01-08 04:59:59+00", chunkRows: 2_000))
        let snapshot = try post("/datasets/snapshot", ["datasetName": "week1", "extractionIds": [try FaultJSON.string(extraction, "extractionId")]])
        let datasetId = try FaultJSON.string(snapshot, "datasetId")
        self.datasetId = datasetId
        let trained = try post("/training-jobs", [
            "datasetId": datasetId, "datasetVersion": 1, "modelName": Self.modelName, "label": "is_late",
            "parameters": ["rounds": 20, "maxDepth": 4],
        ])
        let modelId = try FaultJSON.string(trained, "modelId")
        self.modelId = modelId
        _ = try post("/models/\(modelId)/evaluate", [:])
        let promotion = try post("/models/\(modelId)/promote", ["minAuc": 0.5])
        guard promotion["decision"] as? String == "promoted" else { throw FaultSuiteError("the baseline model was not promoted: \(promotion)") }

        let reader = try PostgresConnection.connect(url: sourceURL)
        defer { reader.close() }
        let february = try reader.execute(
            """
            SELECT f.*, l.is_late FROM \(Self.featureView) f JOIN \(Self.labelView) l USING (flight_id)
            WHERE f.scheduled_at > '2013-02-01 04:59:59+00' ORDER BY f.scheduled_at, f.flight_id LIMIT 3000
            """
        )
        scoringRows = try february.rows.map { row in
            var features: [String: Any] = [:]
            for column in february.columns where !["flight_id", "scheduled_at", "is_late"].contains(column) {
                features[column] = row[column].map { Double($0).map { $0 as Any } ?? $0 as Any } ?? NSNull()
            }
            let key = try row.string("flight_id")
            return ScoringRow(key: key, json: try FaultJSON.text(["key": key, "features": features]), late: row["is_late"] == "t")
        }
        let template = try PostgresConnection.connect(url: databaseURL)
        entityCounts = try EntityCounts.read(template)
        template.close()
        // No session may stay on a template database.
        try FaultDatabases.disconnectEveryone(from: templateDatabase, adminURL: adminURL)
    }

    /// An extraction request over the demo view with the labels joined (cursor range `(after, upTo]`).
    static func extraction(dataSourceId: String, after: String?, upTo: String, chunkRows: Int) -> [String: Any] {
        var body: [String: Any] = [
            "dataSourceId": dataSourceId, "view": featureView, "cursorColumn": "scheduled_at", "keyColumn": "flight_id",
            "join": ["view": labelView, "key": "flight_id", "columns": ["is_late"]], "upTo": upTo, "chunkRows": chunkRows,
        ]
        if let after { body["after"] = after }
        return body
    }

    /// The reader's connection settings from its libpq URL (what a user registers).
    static func connection(of url: String, port: Int? = nil) throws -> [String: Any] {
        guard let components = URLComponents(string: url) else { throw FaultSuiteError("bad source URL") }
        return [
            "host": components.host ?? "127.0.0.1", "port": port ?? components.port ?? 5432,
            "database": String(components.path.dropFirst()), "user": components.user ?? "", "password": components.password ?? "",
        ]
    }

    private static let cleanUpTargets = Mutex<(String, String, URL)?>(nil)

    private static let cleanUp: @convention(c) () -> Void = {
        guard let (adminURL, database, directory) = FaultBaseline.cleanUpTargets.withLock({ $0 }) else { return }
        try? FaultDatabases.drop(database, adminURL: adminURL)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Creating, copying and dropping the suite's databases on the test server.
enum FaultDatabases {
    /// Creates `name` (empty with migrations, or a copy of `template`) and returns its URL.
    static func create(_ name: String, template: String? = nil, adminURL: String) throws -> String {
        let admin = try PostgresConnection.connect(url: adminURL)
        defer { admin.close() }
        if let template {
            try admin.execute("CREATE DATABASE \(try admin.escapeIdentifier(name)) TEMPLATE \(try admin.escapeIdentifier(template))")
            return try url(adminURL, database: name)
        }
        try admin.execute("CREATE DATABASE \(try admin.escapeIdentifier(name))")
        let url = try url(adminURL, database: name)
        let database = try PostgresConnection.connect(url: url)
        defer { database.close() }
        _ = try Migrator().apply(try Migrations.bundled(), on: database)
        return url
    }

    static func drop(_ name: String, adminURL: String) throws {
        let admin = try PostgresConnection.connect(url: adminURL)
        defer { admin.close() }
        try admin.execute("DROP DATABASE IF EXISTS \(try admin.escapeIdentifier(name)) WITH (FORCE)")
    }

    /// Ends every other session on `name` (a template must have none while it is copied).
    static func disconnectEveryone(from name: String, adminURL: String) throws {
        let admin = try PostgresConnection.connect(url: adminURL)
        defer { admin.close() }
        _ = try waitFor("the last session on \(name) to end", seconds: 30) { () -> Bool? in
            let left = try admin.execute(
                "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]
            )
            return try left.rows[0].int("n") == 0 ? true : nil
        }
    }

    static func url(_ adminURL: String, database: String) throws -> String {
        guard var components = URLComponents(string: adminURL) else { throw FaultSuiteError("bad database URL") }
        components.path = "/" + database
        guard let url = components.string else { throw FaultSuiteError("bad database URL") }
        return url
    }
}

/// JSON for request bodies and answers (Foundation's serialisation: the suite checks Pulse's codec from outside).
enum FaultJSON {
    static func text(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func object(_ data: Data) throws -> [String: Any]? {
        try JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    static func object(_ text: String) throws -> [String: Any]? {
        try object(Data(text.utf8))
    }

    static func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let value = object[key] as? String else { throw FaultSuiteError("no string '\(key)' in \(object)") }
        return value
    }
}

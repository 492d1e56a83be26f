import Foundation
import PulseContracts
import PulseRuntime
import Testing

/// The `pulse` executable as an operator types it, against the real broker and database: `dlq list`, `show`,
/// `replay` (a filter, one id, a dry run) and `purge`, `send`, and the exit codes scripts rely on
/// (0 ok, 1 not found, 64 usage, 65 bad data).
@Suite("The pulse command line", .enabled(if: GatewayServices.available && FaultEnvironment.binDirectory != nil))
struct OperatorCommandLineTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    }

    /// Runs `pulse` with the fixture's settings and nothing else of this process's environment.
    static func pulse(_ arguments: [String], _ fixture: GatewayFixture) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(FaultEnvironment.binDirectory)).appendingPathComponent("pulse")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG", "TMPDIR"].contains($0.key) }
        environment["PULSE_DATABASE_URL"] = fixture.databaseURL
        environment["PULSE_AMQP_URL"] = fixture.configuration.amqpURL
        environment["PULSE_OBJECT_STORE"] = fixture.configuration.objectStoreRoot.path
        environment["PULSE_MASTER_KEY_FILE"] = fixture.configuration.masterKeyFile.path
        environment["PULSE_TOPOLOGY"] = fixture.configuration.topologyFile.path
        environment["PULSE_TOPOLOGY_PREFIX"] = fixture.configuration.topologyPrefix
        process.environment = environment
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func anOperatorListsShowsReplaysAndPurgesDeadLetters() throws {
        let fixture = try GatewayFixture()
        defer { fixture.close() }
        let workers = WorkerPool(configuration: fixture.configuration, handlers: [ExtractorHandler()])
        defer { workers.stop() }
        let tenant = "cli-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-cli-\(tenant)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func payload(_ name: String, _ text: String) throws -> String {
            let file = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: file)
            return file.path
        }

        // Two messages a worker parks at once (nobody waits for a reply): validating a datasource that does not
        // exist, and registering one whose name is taken, with a password that must never be shown.
        let registration = registrationPayload
        let registered = try fixture.client.send("POST", "/datasources", headers: ["Pulse-Tenant": tenant], body: registration)
        #expect(registered.status == 200, "\(registered.text)")
        let missing = EntityID.random(.dataSource)
        let validate = try Self.pulse(
            ["send", "pulse.datasource.validate.v1", try payload("validate.json", #"{"dataSourceId":"\#(missing)"}"#), "--tenant", tenant], fixture)
        #expect(validate.status == 0, "\(validate.stderr)")
        let validateId = validate.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let duplicate = try Self.pulse(["send", "pulse.datasource.register.v1", try payload("register.json", registration), "--tenant", tenant], fixture)
        #expect(duplicate.status == 0, "\(duplicate.stderr)")
        let duplicateId = duplicate.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // list --json: why, how often, by whom; both under the ids `send` printed.
        let entries = try EndToEnd.poll(seconds: 30) { () -> [[String: Any]]? in
            let listed = try Self.pulse(["dlq", "list", "extractor", "--tenant", tenant, "--json"], fixture)
            let entries = listed.json as? [[String: Any]] ?? []
            return entries.count == 2 ? entries : nil
        }
        let byId = Dictionary(uniqueKeysWithValues: entries.map { ($0["messageId"] as? String ?? "", $0) })
        let parkedValidation = try #require(byId[validateId], "\(entries)")
        #expect(parkedValidation["parkedBy"] as? String == "worker")
        #expect(parkedValidation["attempts"] as? Int == 1)
        #expect((parkedValidation["error"] as? String)?.contains("datasource \(missing) does not exist") == true, "\(parkedValidation)")
        #expect((byId[duplicateId]?["error"] as? String)?.contains("already exists") == true, "\(entries)")
        let text = try Self.pulse(["dlq", "list", "extractor", "--tenant", tenant], fixture)
        #expect(text.stdout.hasPrefix("2 parked message(s) in extractor's dead-letter queue"), "\(text.stdout)")

        // show: the envelope, its password masked; an unknown id is exit 1.
        let shown = try Self.pulse(["dlq", "show", "extractor", duplicateId, "--json"], fixture)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(!shown.stdout.contains("s3cret"), "\(shown.stdout)")
        #expect(shown.stdout.contains(duplicateId))
        #expect(try Self.pulse(["dlq", "show", "extractor", MessageID.make()], fixture).status == 1)

        // replay: refused without a filter; a dry run lists; one id goes back under its own id and is parked again
        // (the datasource still does not exist) with the replay counted.
        let unfiltered = try Self.pulse(["dlq", "replay", "extractor"], fixture)
        #expect(unfiltered.status == 64)
        #expect(unfiltered.stderr.contains("--all"))
        let dryRun = try Self.pulse(["dlq", "replay", "extractor", "--operation", "pulse.datasource.validate.v1", "--tenant", tenant, "--dry-run"], fixture)
        #expect(dryRun.stdout.hasPrefix("would replay 1 message(s)"), "\(dryRun.stdout)")
        let replayed = try Self.pulse(["dlq", "replay", "extractor", "--message-id", validateId], fixture)
        #expect(replayed.stdout.hasPrefix("replayed 1 message(s) to extractor"), "\(replayed.stdout) \(replayed.stderr)")
        let again = try EndToEnd.poll(seconds: 30) { () -> [String: Any]? in
            let listed = try Self.pulse(["dlq", "list", "extractor", "--message-id", validateId, "--json"], fixture)
            return (listed.json as? [[String: Any]])?.first { $0["replays"] as? Int == 1 }
        }
        #expect(again["messageId"] as? String == validateId)

        // purge: only with --yes; then the queue is empty.
        #expect(try Self.pulse(["dlq", "purge", "extractor"], fixture).status == 64)
        #expect(try Self.pulse(["dlq", "purge", "extractor", "--yes"], fixture).stdout.hasPrefix("purged 2 message(s)"))
        #expect((try Self.pulse(["dlq", "list", "extractor", "--json"], fixture).json as? [Any])?.isEmpty == true)

        // Usage and bad data: an unknown stage, an unknown operation, a payload that fails validation.
        let unknownStage = try Self.pulse(["dlq", "list", "nowhere"], fixture)
        #expect(unknownStage.status == 64)
        #expect(unknownStage.stderr.contains("unknown stage 'nowhere'"))
        #expect(try Self.pulse(["send", "pulse.nothing.v1", try payload("empty.json", "{}")], fixture).status == 65)
        let invalid = try Self.pulse(["send", "pulse.datasource.validate.v1", try payload("bad.json", #"{"dataSourceId":7}"#)], fixture)
        #expect(invalid.status == 65)
        #expect(invalid.stderr.contains("dataSourceId"), "\(invalid.stderr)")
    }
}

import Foundation
import PulseContracts
import Testing

@Suite("Envelope and catalog validation")
struct EnvelopeTests {
    private func envelope(name: String = "pulse.training.start.v1", version: Int = 1, payload: String, extra: String = "") -> Data {
        Data(
            """
            {"protocol":"pulse","kind":"mutation","name":"\(name)","version":\(version),"messageId":"msg-1",
             "timestamp":"2026-01-31T12:00:00Z","tenantId":"acme","payload":\(payload),"metadata":{}\(extra)}
            """.utf8
        )
    }

    private let validTraining = #"{"datasetId":"dset_0192a3b4c5d6e7f8a9b0c1d2e3f4","datasetVersion":1,"modelName":"late","label":"is_late"}"#

    @Test func aValidEnvelopeDecodesAndValidates() throws {
        let decoded = try Envelope.decode(envelope(payload: validTraining))
        let descriptor = try OperationCatalog.validate(decoded)
        #expect(descriptor.stage == .trainer)
        #expect(decoded.tenantId == "acme")
        let payload = try decoded.payload(as: Operations.startTraining)
        #expect(payload.datasetVersion == 1)
    }

    @Test func malformedJSONIsA400() {
        #expect(throws: Problem.self) { try Envelope.decode(Data("{\"protocol\": ".utf8)) }
        do {
            _ = try Envelope.decode(Data("{not json".utf8))
            Issue.record("expected a problem")
        } catch {
            #expect(error.status == 400)
            #expect(error.type.hasSuffix("malformed-json"))
        }
    }

    @Test func unknownOperationIsNamed() throws {
        let decoded = try Envelope.decode(envelope(name: "pulse.model.explode.v1", payload: "{}"))
        do {
            _ = try OperationCatalog.validate(decoded)
            Issue.record("expected a problem")
        } catch {
            #expect(error.status == 404)
            #expect(error.detail.contains("pulse.model.explode.v1"))
        }
    }

    @Test(arguments: [
        (#"{"datasetVersion":1,"modelName":"late","label":"is_late"}"#, "/payload/datasetId", "is required"),
        (#"{"datasetId":"dset_0192a3b4c5d6e7f8a9b0c1d2e3f4","datasetVersion":"one","modelName":"late","label":"is_late"}"#, "/payload/datasetVersion", "must be an integer"),
        (#"{"datasetId":"dset_0192a3b4c5d6e7f8a9b0c1d2e3f4","datasetVersion":0,"modelName":"late","label":"is_late"}"#, "/payload/datasetVersion", "must be 1 or more"),
        (#"{"datasetId":"dset_0192a3b4c5d6e7f8a9b0c1d2e3f4","datasetVersion":1,"modelName":"late; drop","label":"is_late"}"#, "/payload/modelName", "letters"),
        (#"{"datasetId":"dset_0192a3b4c5d6e7f8a9b0c1d2e3f4","datasetVersion":1,"modelName":"late","label":"is_late","parameters":{"rounds":0}}"#, "/payload/parameters/rounds", "between 1 and 5000"),
        (#"{"datasetId":"ds_x","datasetVersion":1,"modelName":"late","label":"is_late"}"#, "/payload/datasetId", "dataset id"),
    ])
    func payloadProblemsNameTheField(payload: String, pointer: String, detail: String) throws {
        let decoded = try Envelope.decode(envelope(payload: payload))
        do {
            _ = try OperationCatalog.validate(decoded)
            Issue.record("expected a problem for \(payload)")
        } catch {
            #expect(error.status == 422)
            let field = try #require(error.errors?.first)
            #expect(field.pointer == pointer)
            #expect(field.detail.contains(detail), "\(field.detail)")
        }
    }

    @Test func envelopeFieldsAreChecked() {
        let bad = Data(
            #"{"protocol":"pulsar","kind":"mutation","name":"Pulse.X","version":1,"messageId":"a b","timestamp":"yesterday","tenantId":"ACME","payload":{},"metadata":{}}"#.utf8
        )
        do {
            _ = try Envelope.decode(bad)
            Issue.record("expected a problem")
        } catch {
            let pointers = Set(error.errors?.map(\.pointer) ?? [])
            #expect(pointers == ["/protocol", "/name", "/version", "/messageId", "/timestamp", "/tenantId"])
        }
    }

    @Test func versionMustMatchTheName() throws {
        #expect(throws: Problem.self) { try Envelope.decode(envelope(version: 2, payload: validTraining)) }
    }

    @Test func queriesAndMutationsAreNotInterchangeable() throws {
        var decoded = try Envelope.decode(envelope(name: "pulse.datasource.get.v1", payload: #"{"dataSourceId":"ds_0192a3b4c5d6e7f8a9b0c1d2e3f4"}"#))
        #expect(throws: Problem.self) { try OperationCatalog.validate(decoded) }
        decoded.kind = .query
        #expect(try OperationCatalog.validate(decoded).kind == .query)
    }

    @Test(arguments: ["flights; drop table x", "\"x\"", "a.b.c", "pg_catalog.pg_authid--", "views.flights features", "", "1abc"])
    func allowlistEntriesThatSmuggleSQLAreRefused(entry: String) {
        let register = RegisterDataSource(
            name: "src", connection: PostgresConnectionPayload(host: "h", port: 5432, database: "d", user: "u", password: "p"),
            allowlist: ["pulse_views.ok", entry]
        )
        do {
            try register.validate(pointer: "/payload")
            Issue.record("'\(entry)' should have been refused")
        } catch {
            #expect(error.errors?.contains { $0.pointer == "/payload/allowlist/1" } == true)
        }
    }

    @Test func duplicateDeliveriesDeriveTheSameIds() {
        let first = EntityID.derived(.extraction, tenant: "acme", messageId: "m-1", timestamp: "2026-01-31T12:00:00Z")
        let again = EntityID.derived(.extraction, tenant: "acme", messageId: "m-1", timestamp: "2026-01-31T12:00:00Z")
        let otherTenant = EntityID.derived(.extraction, tenant: "globex", messageId: "m-1", timestamp: "2026-01-31T12:00:00Z")
        #expect(first == again)
        #expect(first != otherTenant)
        #expect(EntityID.isValid(first, .extraction))
        // The time part sorts: 2026-01-31T12:00:00Z is 1769860800000 ms = 0x19c13ec9e00.
        #expect(first.hasPrefix("ext_019c13ec9e00"))
    }

    @Test func idShapesAreChecked() {
        #expect(EntityID.isValid("pred_0192a3b4c5d6e7f8a9b0c1d2e3f4", .prediction))
        #expect(!EntityID.isValid("pred_0192A3B4C5D6E7F8A9B0C1D2E3F4", .prediction))   // uppercase hex
        #expect(!EntityID.isValid("pred_0192a3b4c5d6e7f8a9b0c1d2e3f", .prediction))    // 27 digits
        #expect(!EntityID.isValid("pred_0192a3b4c5d6e7f8a9b0c1d2e3fg", .prediction))   // not hex
        #expect(!EntityID.isValid("model_0192a3b4c5d6e7f8a9b0c1d2e3f4", .prediction))  // another kind
        #expect(!EntityID.isValid("pred_0192a3b4c5d6e7f8a9b0c1d2é3f", .prediction))    // 28 characters, 29 bytes
    }

    @Test func aBatchDerivesTheSameIdsOneByOne() {
        let series = EntityID.derivedSeries(.prediction, tenant: "acme", messageId: "m-1", timestamp: "2026-01-31T12:00:00Z", count: 3)
        let single = (0..<3).map { EntityID.derived(.prediction, tenant: "acme", messageId: "m-1", timestamp: "2026-01-31T12:00:00Z", purpose: String($0)) }
        #expect(series == single)
        #expect(Set(series).count == 3)
    }

    @Test(arguments: [
        (#""connection":{"host":"h","port":5432,"database":"d","user":"u","password":"p"},"sealedConnection":"pulse:v1:k:AAAA","#, "/payload/sealedConnection", "not both"),
        ("", "/payload/connection", "is required"),
        (#""sealedConnection":"password=hunter2","#, "/payload/sealedConnection", "must be a sealed value"),
        (#""connection":{"host":"","port":70000,"database":"d","user":"u","password":"p"},"#, "/payload/connection/host", "must not be empty"),
    ])
    func registrationNeedsExactlyOneConnectionForm(fields: String, pointer: String, detail: String) throws {
        let payload = #"{"name":"flights","kind":"postgres","# + fields + #""allowlist":["public.flights_v"]}"#
        let decoded = try Envelope.decode(envelope(name: "pulse.datasource.register.v1", payload: payload))
        do {
            _ = try OperationCatalog.validate(decoded)
            Issue.record("expected a problem")
        } catch {
            #expect(error.status == 422)
            #expect(error.errors?.first?.pointer == pointer, "\(error)")
            #expect(error.errors?.first?.detail.contains(detail) == true, "\(error)")
        }
    }

}

@Suite("Canonical JSON and SHA-256")
struct CanonicalJSONTests {
    @Test func keysSortedAndNoWhitespace() throws {
        let value = try JSONValue.parse(Data(#"{ "b": [1, 2.5, true, null], "a": {"y": "é\n", "x": 3} }"#.utf8))
        #expect(String(decoding: CanonicalJSON.data(value), as: UTF8.self) == #"{"a":{"x":3,"y":"é\n"},"b":[1,2.5,true,null]}"#)
    }

    @Test func sha256MatchesFIPSExamples() {
        // FIPS 180-2, appendix B.1 and B.2.
        #expect(SHA256.hex(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(of: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func equalValuesHashEqually() throws {
        let one = try JSONValue.parse(Data(#"{"a":1,"b":[true]}"#.utf8))
        let two = try JSONValue.parse(Data(#"{"b":[true],  "a":1.0}"#.utf8))
        #expect(CanonicalJSON.hash(one) == CanonicalJSON.hash(two))
    }

}

import Foundation
import PulseStorage
import Testing

@Suite("SecretSealer")
struct SecretSealerTests {
    let key = Data((0..<32).map { UInt8($0) })
    let secret = Data("postgresql://reader:s3cr3t@db:5432/flights".utf8)
    let aad = Data("tenant=t1;datasource=ds_1".utf8)

    @Test func roundTripAndFormat() throws {
        let sealer = try SecretSealer(keyId: "k2024", key: key)
        let sealed = try sealer.seal(secret, associatedData: aad)
        #expect(sealed.hasPrefix("pulse:v1:k2024:"))
        #expect(!sealed.contains("s3cr3t"))
        let payload = try #require(Data(base64Encoded: String(sealed.dropFirst("pulse:v1:k2024:".count))))
        #expect(payload.count == 12 + secret.count + 16)
        #expect(try sealer.open(sealed, associatedData: aad) == secret)
        #expect(try sealer.seal(secret, associatedData: aad) != sealed)  // fresh nonce each time
        #expect(try sealer.open(try sealer.seal(Data(), associatedData: Data()), associatedData: Data()) == Data())
        #expect(!"\(sealer)".contains("0001"))
    }

    @Test func flippedByteDifferentAADAndWrongKeyAreTampered() throws {
        let sealer = try SecretSealer(keyId: "k2024", key: key)
        let sealed = try sealer.seal(secret, associatedData: aad)
        let prefix = "pulse:v1:k2024:"
        var payload = try #require(Data(base64Encoded: String(sealed.dropFirst(prefix.count))))
        payload[12 + 3] ^= 0x01  // a ciphertext byte
        let flipped = prefix + payload.base64EncodedString()

        var otherKey = key
        otherKey[0] ^= 0xff
        let wrongKey = try SecretSealer(keyId: "k2024", key: otherKey)
        let wrongId = try SecretSealer(keyId: "k2025", key: key)

        let attempts: [() throws -> Data] = [
            { try sealer.open(flipped, associatedData: self.aad) },
            { try sealer.open(sealed, associatedData: Data("tenant=t2;datasource=ds_1".utf8)) },
            { try wrongKey.open(sealed, associatedData: self.aad) },
            { try wrongId.open(sealed, associatedData: self.aad) },
            { try sealer.open("pulse:v1:k2024:not base64!", associatedData: self.aad) },
            { try sealer.open(String(sealed.dropLast(4)), associatedData: self.aad) },
        ]
        for attempt in attempts {
            let error = #expect(throws: StorageError.self) { _ = try attempt() }
            #expect(error?.code == .tampered)
            #expect(error?.description.contains("s3cr3t") == false)
        }
    }

    @Test func keysAreValidated() throws {
        #expect(throws: StorageError.self) { try SecretSealer(keyId: "k", key: Data(count: 16)) }
        #expect(throws: StorageError.self) { try SecretSealer(keyId: "bad:id", key: key) }
        #expect(throws: StorageError.self) { try SecretSealer(keyId: "", key: key) }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("master.key")
        let hex = key.map { String(format: "%02x", $0) }.joined()
        try (hex + "\n").write(to: file, atomically: true, encoding: .utf8)
        let loaded = try SecretSealer.loadKeyFile(file, keyId: "k2024")
        let direct = try SecretSealer(keyId: "k2024", key: key)
        #expect(try loaded.open(try direct.seal(secret, associatedData: aad), associatedData: aad) == secret)

        try String(hex.dropLast()).write(to: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: StorageError.self) { try SecretSealer.loadKeyFile(file, keyId: "k2024") }
        #expect(error?.code == .invalidKey)
        try ("zz" + hex.dropFirst(2)).write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: StorageError.self) { try SecretSealer.loadKeyFile(file, keyId: "k2024") }
    }
}

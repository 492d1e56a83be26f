import Foundation
import PulseStorage
import Testing

@Suite("Zstd")
struct ZstdTests {
    static let sample = Data((0..<200_000).map { "row \($0),value \($0 % 97)\n" }.joined().utf8)

    @Test func oneShotRoundTrip() throws {
        let compressed = try Zstd.compress(Self.sample)
        #expect(compressed.count < Self.sample.count / 4)
        #expect(try Zstd.decompress(compressed) == Self.sample)
        #expect(try Zstd.decompress(try Zstd.compress(Data())) == Data())
    }

    @Test func streamingRoundTripInOddChunks() throws {
        let compressor = try ZstdCompressor(level: 5)
        var compressed = Data()
        var offset = 0
        while offset < Self.sample.count {
            let end = min(offset + 7_777, Self.sample.count)
            compressed.append(try compressor.compress(Self.sample.subdata(in: offset..<end)))
            offset = end
        }
        compressed.append(try compressor.finish())

        let decompressor = try ZstdDecompressor()
        var restored = Data()
        offset = 0
        while offset < compressed.count {
            let end = min(offset + 333, compressed.count)
            restored.append(try decompressor.decompress(compressed.subdata(in: offset..<end)))
            offset = end
        }
        try decompressor.finish()
        #expect(restored == Self.sample)
    }

    @Test func truncatedOrCorruptInputThrows() throws {
        let compressed = try Zstd.compress(Self.sample)
        let error = #expect(throws: StorageError.self) { try Zstd.decompress(compressed.prefix(compressed.count / 2)) }
        #expect(error?.code == .compression)
        #expect(throws: StorageError.self) { try Zstd.decompress(Data("not zstd at all".utf8)) }
        #expect(throws: StorageError.self) { try Zstd.decompress(Data()) }
    }

    @Test func zstdCommandLineReadsOurOutputAndWeReadItsOutput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-zstd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let ours = directory.appendingPathComponent("ours.csv.zst")
        try Zstd.compress(Self.sample).write(to: ours)
        #expect(try runZstd(["-d", "-c", ours.path]) == Self.sample)

        let plain = directory.appendingPathComponent("plain.csv")
        try Self.sample.write(to: plain)
        #expect(try Zstd.decompress(try runZstd(["-q", "-c", plain.path])) == Self.sample)
    }

    /// Runs the `zstd` binary and returns its stdout.
    private func runZstd(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return data
    }
}

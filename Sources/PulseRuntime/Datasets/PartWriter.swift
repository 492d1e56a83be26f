import Foundation
import PulseStorage

/// Streams CSV rows into zstd-compressed parts of at most `rowsPerPart` rows each, with a header line per part,
/// so memory stays flat however large the source. Also keeps a digest over every row (the dataset hash input).
final class PartWriter {
    private let objects: any ObjectStore
    private let keyPrefix: String
    private let rowsPerPart: Int
    private var header = Data()
    private var current: (writer: any ObjectWriter, compressor: ZstdCompressor, hasher: SHA256Hasher, rows: Int, bytes: Int, key: String)?
    private var rowHasher = SHA256Hasher()
    private(set) var parts: [DatasetPart] = []
    private(set) var rowCount = 0
    private var buffer = Data()

    init(objects: any ObjectStore, keyPrefix: String, rowsPerPart: Int) {
        self.objects = objects
        self.keyPrefix = keyPrefix
        self.rowsPerPart = rowsPerPart
    }

    func setHeader(_ columns: [String]) {
        header = Data((columns.joined(separator: ",") + "\n").utf8)
        rowHasher.update(header)
    }

    /// One CSV record including its trailing newline (as PostgreSQL's COPY gives it).
    func append(_ row: UnsafeRawBufferPointer) throws {
        if current == nil { try openPart() }
        rowHasher.update(row)
        current?.hasher.update(row)
        buffer.append(contentsOf: row)
        current?.rows += 1
        rowCount += 1
        if buffer.count >= 1 << 20 { try flush() }
        if let rows = current?.rows, rows >= rowsPerPart { try closePart() }
    }

    /// Closes the last part; returns the digest over the header and all rows.
    func finish() throws -> String {
        if current != nil { try closePart() }
        return rowHasher.finalize()
    }

    func abort() {
        current?.writer.abort()
        current = nil
    }

    private func openPart() throws {
        let key = "\(keyPrefix)/part-\(String(format: "%05d", parts.count)).csv.zst"
        var hasher = SHA256Hasher()
        hasher.update(header)
        current = (try objects.makeWriter(key), try ZstdCompressor(level: 3), hasher, 0, 0, key)
        buffer = header
    }

    private func flush() throws {
        guard var part = current, !buffer.isEmpty else { return }
        let compressed = try part.compressor.compress(buffer)
        try part.writer.write(compressed)
        part.bytes += compressed.count
        current = part
        buffer.removeAll(keepingCapacity: true)
    }

    private func closePart() throws {
        try flush()
        guard let part = current else { return }
        let tail = try part.compressor.finish()
        try part.writer.write(tail)
        try part.writer.finish()
        parts.append(DatasetPart(key: part.key, rows: part.rows, sha256: part.hasher.finalize(), compressedBytes: part.bytes + tail.count))
        current = nil
    }
}

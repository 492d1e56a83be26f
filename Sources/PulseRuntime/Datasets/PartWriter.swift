import Foundation
import PulseStorage

/// Streams CSV rows into zstd-compressed parts of at most `rowsPerPart` rows each, with a header line per part,
/// so memory stays flat however large the source. Also keeps a digest over every row (the dataset hash input).
///
/// A resumed extraction continues after checkpointed parts (`resume(header:after:)`): numbering goes on, and
/// every part gets exactly the rows and bytes it would have had in an uninterrupted run, because parts are cut
/// by row count only and a checkpoint always ends on a part boundary.
final class PartWriter {
    private let objects: any ObjectStore
    private let keyPrefix: String
    let rowsPerPart: Int
    private var header = Data()
    private var current: (writer: any ObjectWriter, compressor: ZstdCompressor, hasher: SHA256Hasher, rows: Int, bytes: Int, key: String)?
    private var rowHasher = SHA256Hasher()
    private(set) var parts: [DatasetPart] = []
    private(set) var rowCount = 0
    private var buffer = Data()
    /// The last row of the part closed most recently in this run, until the next row arrives.
    private var lastRowOfClosedPart: Data?

    /// Called when the first row after a closed part arrives, before it is written: the last row of that part and
    /// the new row. `parts` then holds every closed part. The extractor decides here whether it can checkpoint.
    var onPartBoundary: ((_ lastRow: Data, _ nextRow: UnsafeRawBufferPointer) throws -> Void)?

    init(objects: any ObjectStore, keyPrefix: String, rowsPerPart: Int) {
        self.objects = objects
        self.keyPrefix = keyPrefix
        self.rowsPerPart = rowsPerPart
    }

    /// The object key of part number `index`.
    func key(ofPart index: Int) -> String {
        "\(keyPrefix)/part-\(String(format: "%05d", index)).csv.zst"
    }

    /// Starts from nothing: the header line of every part, and the first input of the row digest.
    func start(columns: [String]) {
        header = Self.headerLine(columns)
        rowHasher.update(header)
    }

    /// Continues after `checkpointed` parts. The row digest is a running SHA-256 over the header and every row;
    /// OpenSSL 3 does not export an EVP digest's state, so rather than store it this re-reads the checkpointed
    /// parts (local bytes, not the source) and feeds their rows in again. That also proves each part still has its
    /// checkpointed SHA-256 before anything is built on it. Throws `StageError` when a part is missing or differs.
    func resume(columns: [String], after checkpointed: [DatasetPart]) throws {
        header = Self.headerLine(columns)
        rowHasher.update(header)
        for part in checkpointed {
            let decompressor = try ZstdDecompressor()
            var partHasher = SHA256Hasher()
            var headerLeft = header.count
            var headerMatches = true
            do {
                try objects.read(part.key, chunkSize: 1 << 20) { chunk in
                    var plain = try decompressor.decompress(chunk)
                    partHasher.update(plain)
                    if headerLeft > 0 {
                        let prefix = plain.prefix(headerLeft)
                        headerMatches = headerMatches && prefix == header.suffix(headerLeft).prefix(prefix.count)
                        headerLeft -= prefix.count
                        plain = plain.dropFirst(prefix.count)
                    }
                    rowHasher.update(plain)
                }
                try decompressor.finish()
            } catch {
                throw StageError("checkpointed part \(part.key) cannot be read back: \(error)")
            }
            guard headerLeft == 0, headerMatches, partHasher.finalize() == part.sha256 else {
                throw StageError("checkpointed part \(part.key) does not match its checkpoint")
            }
            parts.append(part)
            rowCount += part.rows
        }
    }

    /// One CSV record including its trailing newline (as PostgreSQL's COPY gives it).
    func append(_ row: UnsafeRawBufferPointer) throws {
        if current == nil {
            if let lastRow = lastRowOfClosedPart {
                lastRowOfClosedPart = nil
                try onPartBoundary?(lastRow, row)
            }
            try openPart()
        }
        rowHasher.update(row)
        current?.hasher.update(row)
        buffer.append(contentsOf: row)
        current?.rows += 1
        rowCount += 1
        if buffer.count >= 1 << 20 { try flush() }
        if let rows = current?.rows, rows >= rowsPerPart {
            lastRowOfClosedPart = Data(row)
            try closePart()
        }
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

    private static func headerLine(_ columns: [String]) -> Data {
        Data((columns.joined(separator: ",") + "\n").utf8)
    }

    private func openPart() throws {
        let key = key(ofPart: parts.count)
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

import Foundation
import PulseML
import PulseStorage

/// Reads a dataset version's parts back, verifying every part's SHA-256 before its rows are used.
struct DatasetReader {
    let objects: any ObjectStore

    /// Calls `body` with each row's fields (header lines skipped), in order.
    func forEachRow(of manifest: DatasetManifest, _ body: ([String?]) throws -> Void) throws {
        for part in manifest.parts {
            let decompressor = try ZstdDecompressor()
            var text = Data()
            var hasher = SHA256Hasher()
            try objects.read(part.key, chunkSize: 1 << 20) { chunk in
                let plain = try decompressor.decompress(chunk)
                hasher.update(plain)
                text.append(plain)
            }
            try decompressor.finish()
            guard hasher.finalize() == part.sha256 else {
                throw StageError("dataset part \(part.key) does not match its SHA-256 in the manifest; refusing to train on it")
            }
            var isHeader = true
            try CSVReader.parse(text) { fields in
                if isHeader {
                    isHeader = false
                    return
                }
                try body(fields)
            }
        }
    }

    func rows(of manifest: DatasetManifest) throws -> [[String?]] {
        var rows: [[String?]] = []
        rows.reserveCapacity(manifest.rowCount)
        try forEachRow(of: manifest) { rows.append($0) }
        return rows
    }
}

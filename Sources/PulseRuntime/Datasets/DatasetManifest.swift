import Foundation
import PulseContracts

/// A column of a snapshot, as the source described it.
public struct DatasetColumn: Codable, Sendable, Equatable {
    public let name: String
    /// integer | double | text | boolean | timestamp | date
    public let type: String
    public let databaseType: String
}

/// One zstd-compressed RFC 4180 CSV part with a header line; the hash is over the uncompressed bytes.
public struct DatasetPart: Codable, Sendable, Equatable {
    public let key: String
    public let rows: Int
    public let sha256: String
    public let compressedBytes: Int
}

/// Where the rows came from: enough to extract the next increment the same way.
public struct DatasetSource: Codable, Sendable, Equatable {
    public let dataSourceId: String
    public let view: String
    public let cursorColumn: String
    public let keyColumn: String
    public let join: ExtractSQL.Join?
}

/// The immutable description of a dataset version (stored in the object store next to the parts, and in
/// PostgreSQL). `contentHash` covers the schema and every row, not ids or times, so the same rows snapshotted
/// again give the same hash.
public struct DatasetManifest: Codable, Sendable, Equatable {
    public let format: String
    public let datasetId: String
    public let datasetName: String
    public let datasetVersionId: String
    public let version: Int
    public let columns: [DatasetColumn]
    public let rowCount: Int
    public let cursorMin: String?
    public let cursorMax: String?
    public let source: DatasetSource
    public let extractionIds: [String]
    public let parts: [DatasetPart]
    public let contentHash: String
    public let createdAt: String

    public static let formatName = "pulse.dataset.v1+csv+zstd"

    /// SHA-256 over canonical JSON of the columns and the row digests of each extraction, in order.
    public static func contentHash(columns: [DatasetColumn], rowDigests: [String], rowCount: Int) throws -> String {
        let value = JSONValue.object([
            "columns": try JSONValue.encode(columns),
            "rowDigests": .array(rowDigests.map(JSONValue.string)),
            "rowCount": .number(Double(rowCount)),
        ])
        return CanonicalJSON.hash(value)
    }
}

import Foundation

/// Where Pulse keeps bytes (snapshot parts, models, reports) under slash-separated keys.
///
/// Keys are segments of `[A-Za-z0-9._=-]` joined by "/"; a segment may not be empty or start with "."
/// (so no "." / ".." and no hidden names). Anything else throws `StorageError` `.invalidObjectKey`.
public protocol ObjectStore: Sendable {
    /// Stores `data` under `key` atomically: readers see the old object or the new one, never a part.
    func put(_ key: String, _ data: Data) throws
    /// The whole object; `.notFound` when absent.
    func get(_ key: String) throws -> Data
    func exists(_ key: String) -> Bool
    /// The keys that start with `prefix` (plain string prefix), sorted.
    func list(prefix: String) throws -> [String]
    /// A streaming writer; the object appears atomically on `finish()`.
    func makeWriter(_ key: String) throws -> any ObjectWriter
    /// Streams the object in chunks of at most `chunkSize` bytes; `.notFound` when absent.
    func read(_ key: String, chunkSize: Int, _ onChunk: (Data) throws -> Void) throws
    /// Removes the object; removing an absent key is not an error.
    func delete(_ key: String) throws
}

import Foundation

/// Streams one object into an `ObjectStore`. Used by one thread at a time.
public protocol ObjectWriter: AnyObject {
    func write(_ data: Data) throws
    /// Makes the object visible under its key (atomically). The writer cannot be used afterwards.
    func finish() throws
    /// Discards what was written; nothing becomes visible. Safe to call more than once.
    func abort()
}

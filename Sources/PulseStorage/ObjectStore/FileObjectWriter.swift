import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes one object of a `FileObjectStore` to a temporary file and renames it into place on `finish()`.
/// Used by one thread at a time.
final class FileObjectWriter: ObjectWriter {
    private let key: String
    private var handle: FileHandle?
    private let temporary: URL
    private let destination: URL

    init(key: String, handle: FileHandle, temporary: URL, destination: URL) {
        self.key = key
        self.handle = handle
        self.temporary = temporary
        self.destination = destination
    }

    deinit {
        abort()
    }

    func write(_ data: Data) throws {
        guard let handle else {
            throw StorageError(.objectStore, "writer for \"\(key)\" is already finished or aborted", disposition: .fatal)
        }
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw StorageError(.objectStore, "cannot write object \"\(key)\"", underlying: "\(error)")
        }
    }

    func finish() throws {
        guard let handle else {
            throw StorageError(.objectStore, "writer for \"\(key)\" is already finished or aborted", disposition: .fatal)
        }
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            abort()
            throw StorageError(.objectStore, "cannot flush object \"\(key)\"", underlying: "\(error)")
        }
        self.handle = nil
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw StorageError(.objectStore, "cannot move object \"\(key)\" into place", underlying: reason)
        }
    }

    func abort() {
        guard let handle else { return }
        try? handle.close()
        self.handle = nil
        try? FileManager.default.removeItem(at: temporary)
    }
}

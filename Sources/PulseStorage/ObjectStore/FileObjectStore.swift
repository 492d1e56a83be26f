import Foundation

/// An `ObjectStore` on a local (or mounted) file system: key "a/b/c" is the file `<root>/a/b/c`.
///
/// Writes go to a hidden temporary file in the target directory, are fsynced, then renamed into place.
public final class FileObjectStore: ObjectStore {
    public let root: URL

    /// Creates `root` if needed.
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
        } catch {
            throw StorageError(.objectStore, "cannot create the object store root", underlying: "\(error)", disposition: .fatal)
        }
    }

    public func put(_ key: String, _ data: Data) throws {
        let writer = try makeWriter(key)
        do {
            try writer.write(data)
            try writer.finish()
        } catch {
            writer.abort()
            throw error
        }
    }

    public func get(_ key: String) throws -> Data {
        let url = try fileURL(for: key)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw StorageError(.notFound, "no object \"\(key)\"")
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw StorageError(.objectStore, "cannot read object \"\(key)\"", underlying: "\(error)")
        }
    }

    public func exists(_ key: String) -> Bool {
        guard let url = try? fileURL(for: key) else { return false }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    public func list(prefix: String) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]
        ) else {
            throw StorageError(.objectStore, "cannot list the object store")
        }
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        var keys: [String] = []
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(rootPath) else { continue }
            let key = String(path.dropFirst(rootPath.count))
            if key.hasPrefix(prefix), (try? ObjectKey.validate(key)) != nil {
                keys.append(key)
            }
        }
        return keys.sorted()
    }

    public func makeWriter(_ key: String) throws -> any ObjectWriter {
        let destination = try fileURL(for: key)
        let directory = destination.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw StorageError(.objectStore, "cannot create a temporary file for \"\(key)\"")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            return FileObjectWriter(key: key, handle: handle, temporary: temporary, destination: destination)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.objectStore, "cannot open object \"\(key)\" for writing", underlying: "\(error)")
        }
    }

    public func read(_ key: String, chunkSize: Int, _ onChunk: (Data) throws -> Void) throws {
        let url = try fileURL(for: key)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw StorageError(.notFound, "no object \"\(key)\"")
        }
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw StorageError(.objectStore, "cannot open object \"\(key)\"", underlying: "\(error)")
        }
        defer { try? handle.close() }
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: max(1, chunkSize))
            } catch {
                throw StorageError(.objectStore, "cannot read object \"\(key)\"", underlying: "\(error)")
            }
            guard let chunk, !chunk.isEmpty else { return }
            try onChunk(chunk)
        }
    }

    public func delete(_ key: String) throws {
        let url = try fileURL(for: key)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw StorageError(.objectStore, "cannot delete object \"\(key)\"", underlying: "\(error)")
        }
    }

    private func fileURL(for key: String) throws -> URL {
        let segments = try ObjectKey.validate(key)
        return segments.reduce(root) { $0.appendingPathComponent(String($1)) }
    }
}

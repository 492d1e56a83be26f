import Foundation
import PulseStorage
import Testing

@Suite("FileObjectStore")
struct FileObjectStoreTests {
    private func withStore(_ body: (FileObjectStore, URL) throws -> Void) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-objects-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try body(try FileObjectStore(root: root), root)
    }

    @Test func putGetListDelete() throws {
        try withStore { store, _ in
            try store.put("tenant=t1/ds/v1/part-00001.csv.zst", Data("b".utf8))
            try store.put("tenant=t1/ds/v1/part-00000.csv.zst", Data("a".utf8))
            try store.put("tenant=t2/other", Data("c".utf8))
            #expect(try store.get("tenant=t1/ds/v1/part-00000.csv.zst") == Data("a".utf8))
            #expect(store.exists("tenant=t2/other"))
            #expect(!store.exists("tenant=t1/ds"))  // a directory is not an object
            #expect(try store.list(prefix: "tenant=t1/") == ["tenant=t1/ds/v1/part-00000.csv.zst", "tenant=t1/ds/v1/part-00001.csv.zst"])
            #expect(try store.list(prefix: "").count == 3)
            try store.put("tenant=t2/other", Data("replaced".utf8))
            #expect(try store.get("tenant=t2/other") == Data("replaced".utf8))
            try store.delete("tenant=t2/other")
            try store.delete("tenant=t2/other")
            #expect(!store.exists("tenant=t2/other"))
            let error = #expect(throws: StorageError.self) { try store.get("tenant=t2/other") }
            #expect(error?.code == .notFound)
        }
    }

    @Test(arguments: ["../x", "/x", "a/../b", "a//b", "a/", "", ".hidden", "a/./b", "a b", "a\\b", "ключ", "a/b\u{0}"])
    func rejectsUnsafeKeys(_ key: String) throws {
        try withStore { store, root in
            let error = #expect(throws: StorageError.self) { try store.put(key, Data("x".utf8)) }
            #expect(error?.code == .invalidObjectKey)
            #expect(throws: StorageError.self) { try store.get(key) }
            #expect(!store.exists(key))
            #expect(!FileManager.default.fileExists(atPath: root.deletingLastPathComponent().appendingPathComponent("x").path) || key != "../x")
        }
    }

    @Test func streamingWriterIsAtomicAndAbortLeavesNothing() throws {
        try withStore { store, root in
            let writer = try store.makeWriter("a/big.bin")
            try writer.write(Data(repeating: 1, count: 1000))
            #expect(!store.exists("a/big.bin"))  // invisible until finish
            #expect(try store.list(prefix: "") == [])
            try writer.write(Data(repeating: 2, count: 24))
            try writer.finish()
            #expect(throws: StorageError.self) { try writer.write(Data([1])) }

            var chunks: [Int] = []
            var total = Data()
            try store.read("a/big.bin", chunkSize: 400) { chunk in
                chunks.append(chunk.count)
                total.append(chunk)
            }
            #expect(chunks == [400, 400, 224])
            #expect(total == Data(repeating: 1, count: 1000) + Data(repeating: 2, count: 24))

            let aborted = try store.makeWriter("a/aborted.bin")
            try aborted.write(Data([1, 2, 3]))
            aborted.abort()
            aborted.abort()
            #expect(!store.exists("a/aborted.bin"))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("a").path)
            #expect(leftovers == ["big.bin"])
        }
    }
}

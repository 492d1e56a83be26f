import Foundation
internal import CZstd

/// Streaming zstd decompression of one or more concatenated frames. Used by one thread at a time.
public final class ZstdDecompressor {
    private let context: OpaquePointer
    private let outputSize = ZSTD_DStreamOutSize()
    /// True once a frame started and until it is fully decoded.
    private var inFrame = false
    private var sawFrame = false

    public init() throws {
        guard let context = ZSTD_createDCtx() else {
            throw StorageError(.compression, "cannot allocate a zstd decompression context")
        }
        self.context = context
    }

    deinit {
        ZSTD_freeDCtx(context)
    }

    /// Decompresses a chunk of compressed bytes; returns the bytes decoded so far (possibly none).
    public func decompress(_ chunk: Data) throws -> Data {
        var result = Data()
        guard !chunk.isEmpty else { return result }
        var buffer = [UInt8](repeating: 0, count: outputSize)
        try chunk.withUnsafeBytes { (source: UnsafeRawBufferPointer) in
            var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            var outputFull = false
            while input.pos < input.size || outputFull {
                let (hint, written) = try buffer.withUnsafeMutableBytes { target in
                    var output = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let hint = ZSTD_decompressStream(context, &output, &input)
                    try Zstd.check(hint, "zstd decompression")
                    return (hint, output.pos)
                }
                result.append(contentsOf: buffer.prefix(written))
                outputFull = written == buffer.count
                sawFrame = true
                inFrame = hint != 0
            }
        }
        return result
    }

    /// Throws `.compression` when the input ended inside a frame (truncated data) or held no frame at all.
    public func finish() throws {
        guard sawFrame, !inFrame else {
            throw StorageError(.compression, sawFrame ? "zstd frame is incomplete" : "no zstd frame in the input")
        }
    }
}

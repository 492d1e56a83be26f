import Foundation
internal import CZstd

/// Streaming zstd compression into one frame (with a content checksum). Used by one thread at a time.
public final class ZstdCompressor {
    private let context: OpaquePointer
    private let outputSize = ZSTD_CStreamOutSize()

    public init(level: Int32 = 3) throws {
        guard let context = ZSTD_createCCtx() else {
            throw StorageError(.compression, "cannot allocate a zstd compression context")
        }
        self.context = context
        try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "setting the zstd level")
        try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "enabling the zstd checksum")
    }

    deinit {
        ZSTD_freeCCtx(context)
    }

    /// Compresses a chunk; returns whatever compressed bytes are ready (possibly none).
    public func compress(_ chunk: Data) throws -> Data {
        try run(chunk, ZSTD_e_continue)
    }

    /// Ends the frame and returns the remaining bytes. The compressor then starts a new frame if used again.
    public func finish() throws -> Data {
        try run(Data(), ZSTD_e_end)
    }

    private func run(_ chunk: Data, _ directive: ZSTD_EndDirective) throws -> Data {
        var result = Data()
        var buffer = [UInt8](repeating: 0, count: outputSize)
        try chunk.withUnsafeBytes { (source: UnsafeRawBufferPointer) in
            var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            while true {
                let (remaining, written) = try buffer.withUnsafeMutableBytes { target in
                    var output = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let remaining = ZSTD_compressStream2(context, &output, &input, directive)
                    try Zstd.check(remaining, "zstd compression")
                    return (remaining, output.pos)
                }
                result.append(contentsOf: buffer.prefix(written))
                let done = directive == ZSTD_e_end ? remaining == 0 : input.pos == input.size
                if done { break }
            }
        }
        return result
    }
}

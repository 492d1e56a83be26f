import Foundation
internal import CZstd

/// One-shot zstd helpers over `ZstdCompressor` / `ZstdDecompressor`.
public enum Zstd {
    public static func compress(_ data: Data, level: Int32 = 3) throws -> Data {
        let compressor = try ZstdCompressor(level: level)
        var output = try compressor.compress(data)
        output.append(try compressor.finish())
        return output
    }

    /// Decompresses complete frames; throws `.compression` on corrupt or truncated input.
    public static func decompress(_ data: Data) throws -> Data {
        let decompressor = try ZstdDecompressor()
        let output = try decompressor.decompress(data)
        try decompressor.finish()
        return output
    }

    static func check(_ code: Int, _ context: String) throws {
        if ZSTD_isError(code) != 0 {
            let reason = ZSTD_getErrorName(code).map { String(cString: $0) } ?? "unknown zstd error"
            throw StorageError(.compression, "\(context) failed: \(reason)")
        }
    }
}

import Foundation
internal import COpenSSL

/// Incremental SHA-256 (OpenSSL EVP) with value semantics: a copy hashes independently of the original.
public struct SHA256Hasher: Sendable {
    private var context: DigestContext

    public init() {
        context = DigestContext()
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if !isKnownUniquelyReferenced(&context) {
            context = context.copy()
        }
        context.update(base, bytes.count)
    }

    /// The digest of everything so far as 64 lowercase hex characters. The hasher stays usable.
    public func finalize() -> String {
        context.copy().finish()
    }

    /// The SHA-256 of `data` as lowercase hex.
    public static func hex(_ data: Data) -> String {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }
}

/// Owns one `EVP_MD_CTX`. `@unchecked Sendable`: `SHA256Hasher` copies it before any mutation when it is
/// shared, so a shared context is only ever read.
private final class DigestContext: @unchecked Sendable {
    private let pointer: OpaquePointer

    init() {
        // Allocation failure of a few hundred bytes is not recoverable here.
        guard let pointer = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed: out of memory") }
        self.pointer = pointer
        EVP_DigestInit_ex(pointer, EVP_sha256(), nil)
    }

    private init(copying other: DigestContext) {
        guard let pointer = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed: out of memory") }
        self.pointer = pointer
        EVP_MD_CTX_copy_ex(pointer, other.pointer)
    }

    deinit {
        EVP_MD_CTX_free(pointer)
    }

    func copy() -> DigestContext {
        DigestContext(copying: self)
    }

    func update(_ bytes: UnsafeRawPointer, _ count: Int) {
        EVP_DigestUpdate(pointer, bytes, count)
    }

    func finish() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(pointer, &digest, &length)
        let hexDigits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(Int(length) * 2)
        for byte in digest.prefix(Int(length)) {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

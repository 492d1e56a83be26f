import Foundation
internal import COpenSSL

/// Seals secrets (datasource configurations) with AES-256-GCM under a named key.
///
/// Format: `pulse:v1:<keyId>:<base64(12-byte random nonce | ciphertext | 16-byte tag)>`. The authenticated data is
/// the header `pulse:v1:<keyId>:` followed by the caller's `associatedData` (e.g. tenant and datasource id), so a
/// sealed value cannot be moved to another record. Neither `description` nor errors reveal key or plaintext.
public struct SecretSealer: Sendable, CustomStringConvertible, CustomReflectable {
    private static let nonceLength = 12
    private static let tagLength = 16

    public let keyId: String
    private let key: [UInt8]

    /// `key` must be 32 bytes; `keyId` is 1–64 characters of `[A-Za-z0-9._-]`. Otherwise `.invalidKey`.
    public init(keyId: String, key: Data) throws {
        let validId = (1...64).contains(keyId.utf8.count) && keyId.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard validId else {
            throw StorageError(.invalidKey, "key id must be 1-64 characters of [A-Za-z0-9._-]", disposition: .fatal)
        }
        guard key.count == 32 else {
            throw StorageError(.invalidKey, "an AES-256 key must be 32 bytes", disposition: .fatal)
        }
        self.keyId = keyId
        self.key = Array(key)
    }

    /// Reads a key file holding 64 hex characters (an optional trailing newline is allowed).
    public static func loadKeyFile(_ url: URL, keyId: String) throws -> SecretSealer {
        let contents: Data
        do {
            contents = try Data(contentsOf: url)
        } catch {
            throw StorageError(.invalidKey, "cannot read the key file", underlying: "\(error)", disposition: .fatal)
        }
        var text = Array(contents)
        if text.last == UInt8(ascii: "\n") { text.removeLast() }
        if text.last == UInt8(ascii: "\r") { text.removeLast() }
        guard text.count == 64, let key = decodeHex(text) else {
            throw StorageError(.invalidKey, "the key file must hold exactly 64 hex characters", disposition: .fatal)
        }
        return try SecretSealer(keyId: keyId, key: Data(key))
    }

    public func seal(_ plaintext: Data, associatedData: Data) throws -> String {
        var nonce = [UInt8](repeating: 0, count: Self.nonceLength)
        guard RAND_bytes(&nonce, Int32(nonce.count)) == 1 else {
            throw StorageError(.invalidKey, "the random generator failed", disposition: .fatal)
        }
        let header = "pulse:v1:\(keyId):"
        let aad = Array(header.utf8) + Array(associatedData)
        let context = try CipherContext()
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        var produced: Int32 = 0
        var finalLength: Int32 = 0
        let input = Array(plaintext)
        let ok = EVP_EncryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, key, nonce) == 1
            && EVP_EncryptUpdate(context.pointer, nil, &produced, aad, Int32(aad.count)) == 1
            && EVP_EncryptUpdate(context.pointer, &ciphertext, &produced, input, Int32(input.count)) == 1
            && ciphertext.withUnsafeMutableBufferPointer { buffer in
                EVP_EncryptFinal_ex(context.pointer, buffer.baseAddress.map { $0 + Int(produced) }, &finalLength) == 1
            }
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagLength), &tag) == 1
        guard ok else {
            throw StorageError(.invalidKey, "encryption failed", disposition: .fatal)
        }
        let sealed = nonce + ciphertext.prefix(Int(produced + finalLength)) + tag
        return header + Data(sealed).base64EncodedString()
    }

    /// Decrypts and authenticates. Any mismatch (format, key id, altered byte, other associated data)
    /// throws `.tampered`.
    public func open(_ sealed: String, associatedData: Data) throws -> Data {
        let tampered = StorageError(.tampered, "sealed secret failed authentication", disposition: .deadLetter)
        let parts = sealed.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pulse", parts[1] == "v1", parts[2] == keyId,
              let payload = Data(base64Encoded: String(parts[3])),
              payload.count >= Self.nonceLength + Self.tagLength
        else { throw tampered }
        let bytes = Array(payload)
        let nonce = Array(bytes.prefix(Self.nonceLength))
        var tag = Array(bytes.suffix(Self.tagLength))
        let ciphertext = Array(bytes[Self.nonceLength..<(bytes.count - Self.tagLength)])
        let aad = Array("pulse:v1:\(keyId):".utf8) + Array(associatedData)
        let context = try CipherContext()
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var produced: Int32 = 0
        var finalLength: Int32 = 0
        let ok = EVP_DecryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, key, nonce) == 1
            && EVP_DecryptUpdate(context.pointer, nil, &produced, aad, Int32(aad.count)) == 1
            && EVP_DecryptUpdate(context.pointer, &plaintext, &produced, ciphertext, Int32(ciphertext.count)) == 1
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagLength), &tag) == 1
            && plaintext.withUnsafeMutableBufferPointer { buffer in
                EVP_DecryptFinal_ex(context.pointer, buffer.baseAddress.map { $0 + Int(produced) }, &finalLength) == 1
            }
        guard ok else { throw tampered }
        return Data(plaintext.prefix(Int(produced + finalLength)))
    }

    public var description: String { "SecretSealer(keyId: \(keyId))" }
    public var customMirror: Mirror { Mirror(self, children: ["keyId": keyId]) }

    private static func decodeHex(_ text: [UInt8]) -> [UInt8]? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        var index = 0
        while index + 1 < text.count {
            guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}

/// Owns one `EVP_CIPHER_CTX` for a single seal or open on the calling thread.
private final class CipherContext {
    let pointer: OpaquePointer

    init() throws {
        guard let pointer = EVP_CIPHER_CTX_new() else {
            throw StorageError(.invalidKey, "cannot allocate a cipher context", disposition: .fatal)
        }
        self.pointer = pointer
    }

    deinit {
        EVP_CIPHER_CTX_free(pointer)
    }
}

import Foundation
import PulseStorage
import Testing

@Suite("SHA256Hasher")
struct SHA256HasherTests {
    // FIPS 180-2, Appendix B.1 and B.2 (also `printf abc | sha256sum`).
    static let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    static let twoBlock = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

    @Test func knownAnswers() {
        #expect(SHA256Hasher.hex(Data("abc".utf8)) == Self.abc)
        #expect(SHA256Hasher.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == Self.twoBlock)
        // SHA-256 of the empty string, from `sha256sum < /dev/null`.
        #expect(SHA256Hasher().finalize() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func incrementalUpdatesAndCopiesAreIndependent() {
        var hasher = SHA256Hasher()
        hasher.update(Data("a".utf8))
        let snapshot = hasher
        hasher.update(Data("b".utf8))
        Data("c".utf8).withUnsafeBytes { hasher.update($0) }
        #expect(hasher.finalize() == Self.abc)
        #expect(hasher.finalize() == Self.abc)  // finalize does not consume
        #expect(snapshot.finalize() == SHA256Hasher.hex(Data("a".utf8)))
        // `printf a | sha256sum`
        #expect(snapshot.finalize() == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb")
    }
}

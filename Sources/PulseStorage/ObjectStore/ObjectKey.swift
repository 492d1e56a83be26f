/// Validation of object keys (see `ObjectStore`).
enum ObjectKey {
    static func validate(_ key: String) throws -> [Substring] {
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        let valid = !key.isEmpty && segments.allSatisfy { segment in
            guard let first = segment.utf8.first, first != UInt8(ascii: ".") else { return false }
            return segment.utf8.allSatisfy(isAllowed)
        }
        guard valid else {
            throw StorageError(.invalidObjectKey, "object key \"\(key.prefix(200))\" is not segments of [A-Za-z0-9._=-] joined by \"/\"")
        }
        return segments
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "="), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

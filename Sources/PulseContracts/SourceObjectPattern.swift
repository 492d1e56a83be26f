/// The shape of a source object name (`schema.view` or `view`) and of a column name, checked at the contract
/// edge so that nothing that could smuggle SQL ever reaches a worker. The connector checks again.
public enum SourceIdentifier {
    public static func isValidPart(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 63 else { return false }
        let isLetter: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "_" }
        return isLetter(first) && text.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }

    public static func isValidObjectName(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        return (1...2).contains(parts.count) && parts.allSatisfy(isValidPart)
    }

    static let objectRule = "must be an identifier like schema.view (letters, digits, underscore; no quotes or spaces)"
    static let columnRule = "must be a column identifier (letters, digits, underscore)"
}

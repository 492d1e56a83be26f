internal import CLibPQ

/// Reads `PQerrorMessage` as one trimmed line.
enum LibPQConnectionMessage {
    static func read(_ connection: OpaquePointer) -> String? {
        guard let raw = PQerrorMessage(connection) else { return nil }
        let text = String(cString: raw).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.isEmpty ? nil : text
    }
}

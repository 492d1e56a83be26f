/// A named, typed column of a dataset.
public struct ColumnDescription: Codable, Sendable, Equatable {
    public let name: String
    public let kind: ColumnKind

    public init(name: String, kind: ColumnKind) {
        self.name = name
        self.kind = kind
    }
}

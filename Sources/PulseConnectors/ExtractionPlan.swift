/// What an extraction will return, computed in the same snapshot as the rows.
public struct ExtractionPlan: Sendable, Equatable {
    /// The CSV columns, in order.
    public var columns: [SourceColumn]
    public var rowCount: Int
    /// The smallest and largest cursor values within the bounds, as text (nil when no rows).
    public var cursorMin: String?
    public var cursorMax: String?

    public init(columns: [SourceColumn], rowCount: Int, cursorMin: String?, cursorMax: String?) {
        self.columns = columns
        self.rowCount = rowCount
        self.cursorMin = cursorMin
        self.cursorMax = cursorMax
    }
}

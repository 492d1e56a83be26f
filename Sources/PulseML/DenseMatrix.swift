/// A row-major matrix of `Float` features; NaN marks a missing value.
public struct DenseMatrix: Sendable, Equatable {
    public private(set) var rows: Int
    public let columns: Int
    /// `rows × columns` values, row after row.
    public var values: [Float]

    /// Creates a matrix; `values.count` must equal `rows × columns`.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns, "DenseMatrix shape mismatch")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// An empty matrix with `columns` columns, ready for `append(row:)`.
    public init(columns: Int) {
        self.init(rows: 0, columns: columns, values: [])
    }

    /// Appends one row; `row.count` must equal `columns`.
    public mutating func append(row: [Float]) {
        precondition(row.count == columns, "DenseMatrix row width mismatch")
        values.append(contentsOf: row)
        rows += 1
    }

    /// The value at `row`, `column`.
    public subscript(row: Int, column: Int) -> Float {
        values[row * columns + column]
    }

    /// One column's values, top to bottom.
    public func column(_ column: Int) -> [Float] {
        (0..<rows).map { values[$0 * columns + column] }
    }

    /// The rows in `range`, as a new matrix.
    public func rows(_ range: Range<Int>) -> DenseMatrix {
        DenseMatrix(
            rows: range.count, columns: columns,
            values: Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }
}

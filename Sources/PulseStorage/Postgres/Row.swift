/// One result row; values are PostgreSQL's text output, `nil` for NULL.
public struct Row: Sendable {
    private let columnIndex: [String: Int]
    /// The values in column order.
    public let values: [String?]

    init(columnIndex: [String: Int], values: [String?]) {
        self.columnIndex = columnIndex
        self.values = values
    }

    /// The value of the named column; `nil` when NULL or when there is no such column.
    public subscript(_ column: String) -> String? {
        guard let position = columnIndex[column] else { return nil }
        return values[position]
    }

    /// The value at a column position; `nil` when NULL or out of range.
    public subscript(_ index: Int) -> String? {
        values.indices.contains(index) ? values[index] : nil
    }

    /// The non-NULL text of a column.
    public func string(_ column: String) throws -> String {
        guard let position = columnIndex[column] else {
            throw StorageError(.invalidValue, "no column \"\(column)\" in the result")
        }
        guard let value = values[position] else {
            throw StorageError(.invalidValue, "column \"\(column)\" is NULL")
        }
        return value
    }

    public func int(_ column: String) throws -> Int {
        guard let value = Int(try string(column)) else {
            throw StorageError(.invalidValue, "column \"\(column)\" is not an integer")
        }
        return value
    }

    /// Accepts PostgreSQL's float output including `NaN`, `Infinity` and `-Infinity`.
    public func double(_ column: String) throws -> Double {
        guard let value = Double(try string(column)) else {
            throw StorageError(.invalidValue, "column \"\(column)\" is not a number")
        }
        return value
    }

    /// PostgreSQL prints booleans as "t" / "f".
    public func bool(_ column: String) throws -> Bool {
        switch try string(column) {
        case "t", "true": return true
        case "f", "false": return false
        default: throw StorageError(.invalidValue, "column \"\(column)\" is not a boolean")
        }
    }
}

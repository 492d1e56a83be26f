/// Which dataset columns become model features, and how each is encoded as a `Float`.
///
/// Stored in the model manifest, so scoring encodes rows exactly as training did.
public struct FeatureSpec: Codable, Sendable, Equatable {
    /// One model input.
    public struct Feature: Codable, Sendable, Equatable {
        /// How a column's values become numbers.
        public enum Encoding: Sendable, Equatable {
            /// The value itself; missing, NaN and ±inf become NaN.
            case numeric
            /// true → 1, false → 0.
            case boolean
            /// The index of the value in `vocabulary` (sorted, distinct); unseen values become NaN.
            case categorical(vocabulary: [String])
            /// One UTC calendar part of a timestamp or date column; unparsable text becomes NaN.
            case timestampPart(TimestampPart)
        }

        /// The feature's name (a column name, or `<column>.<part>` for a timestamp part).
        public let name: String
        /// The dataset column (and prediction-request field) the value is read from.
        public let column: String
        public let encoding: Encoding

        public init(name: String, encoding: Encoding, column: String? = nil) {
            self.name = name
            self.encoding = encoding
            self.column = column ?? name
        }

        private enum CodingKeys: String, CodingKey { case name, column, encoding, vocabulary, part }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            column = try container.decodeIfPresent(String.self, forKey: .column) ?? name
            switch try container.decode(String.self, forKey: .encoding) {
            case "timestampPart":
                encoding = .timestampPart(try container.decode(TimestampPart.self, forKey: .part))
            case "numeric":
                encoding = .numeric
            case "boolean":
                encoding = .boolean
            case "categorical":
                let vocabulary = try container.decode([String].self, forKey: .vocabulary)
                // Lookups binary-search the vocabulary: reject one that is not strictly ascending.
                guard zip(vocabulary, vocabulary.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .vocabulary, in: container, debugDescription: "vocabulary must be sorted and distinct")
                }
                encoding = .categorical(vocabulary: vocabulary)
            case let other:
                throw DecodingError.dataCorruptedError(
                    forKey: .encoding, in: container, debugDescription: "unknown encoding \(other)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            if column != name { try container.encode(column, forKey: .column) }
            switch encoding {
            case .timestampPart(let part):
                try container.encode("timestampPart", forKey: .encoding)
                try container.encode(part, forKey: .part)
            case .numeric:
                try container.encode("numeric", forKey: .encoding)
            case .boolean:
                try container.encode("boolean", forKey: .encoding)
            case .categorical(let vocabulary):
                try container.encode("categorical", forKey: .encoding)
                try container.encode(vocabulary, forKey: .vocabulary)
            }
        }

        /// Encodes one value of this feature.
        public func encode(_ value: FeatureValue) -> Float {
            switch (encoding, value) {
            case (_, .missing):
                return .nan
            case (.timestampPart(let part), .text(let text)):
                return UTCTimestamp.parse(text).map { Float(part.value(of: $0)) } ?? .nan
            case (.timestampPart, .number), (.timestampPart, .bool):
                return .nan
            case (.numeric, .number(let number)):
                return Self.finite(number)
            case (.numeric, .text(let text)):
                return Self.finite(Double(text.trimmingSpaces()) ?? .nan)
            case (.numeric, .bool(let flag)), (.boolean, .bool(let flag)):
                return flag ? 1 : 0
            case (.boolean, .number(let number)):
                return number == 0 ? 0 : number == 1 ? 1 : .nan
            case (.boolean, .text(let text)):
                return FeatureSpec.parseBoolean(text).map { $0 ? 1 : 0 } ?? .nan
            case (.categorical(let vocabulary), .text(let text)):
                return Self.index(of: text, in: vocabulary)
            case (.categorical(let vocabulary), .bool(let flag)):
                return Self.index(of: flag ? "true" : "false", in: vocabulary)
            case (.categorical(let vocabulary), .number(let number)):
                guard number.isFinite else { return .nan }
                let text = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
                return Self.index(of: text, in: vocabulary)
            }
        }

        private static func finite(_ value: Double) -> Float {
            let single = Float(value)
            return single.isFinite ? single : .nan
        }

        private static func index(of value: String, in vocabulary: [String]) -> Float {
            var low = 0
            var high = vocabulary.count
            while low < high {
                let middle = (low + high) / 2
                if vocabulary[middle] < value { low = middle + 1 } else { high = middle }
            }
            return low < vocabulary.count && vocabulary[low] == value ? Float(low) : .nan
        }
    }

    /// Most distinct values a text column may have to become a categorical feature.
    public static let maximumCategories = 1_000

    /// The model inputs, in matrix column order.
    public let features: [Feature]
    /// The label column.
    public let label: String

    public init(features: [Feature], label: String) {
        self.features = features
        self.label = label
    }

    /// What becomes of timestamp and date columns.
    public enum TimestampFeatures: String, Codable, Sendable, CaseIterable {
        /// Left out (the default: a raw instant rarely generalises to the future).
        case exclude
        /// Three numeric features per column, in UTC: hour (0–23), ISO day of week (1 = Monday … 7), month (1–12).
        case parts
    }

    /// Infers a spec from a dataset's schema and rows.
    ///
    /// - Parameters:
    ///   - columns: the dataset schema.
    ///   - label: the label column; it is never a feature.
    ///   - exclude: columns to leave out (ids, keys).
    ///   - timestamps: whether timestamp and date columns are left out or become calendar parts.
    ///   - rows: CSV fields in `columns` order; nil is an empty field (NULL).
    /// - Returns: integer/double columns as numeric, boolean as 0/1, text as categorical with the sorted
    ///   distinct non-null values, timestamp and date columns as `timestamps` says.
    /// - Throws: `MLError` if the label is not a column, a row has the wrong width, or a text column has
    ///   more than `maximumCategories` distinct values (the error names the column).
    public static func infer(
        columns: [ColumnDescription],
        label: String,
        exclude: Set<String>,
        timestamps: TimestampFeatures = .exclude,
        rows: some Sequence<[String?]>
    ) throws -> FeatureSpec {
        guard columns.contains(where: { $0.name == label }) else {
            throw MLError(.unknownColumn, "the label column is not in the dataset schema", field: label)
        }
        let used = columns.indices.filter { index in
            let column = columns[index]
            let isTime = column.kind == .timestamp || column.kind == .date
            return column.name != label && !exclude.contains(column.name) && (!isTime || timestamps == .parts)
        }
        let textColumns = used.filter { columns[$0].kind == .text }
        var distinct = [Int: Set<String>]()
        for index in textColumns { distinct[index] = [] }

        var rowNumber = 0
        for row in rows {
            rowNumber += 1
            guard row.count == columns.count else {
                throw MLError(
                    .invalidData, "row \(rowNumber) has \(row.count) fields, the schema has \(columns.count) columns")
            }
            for index in textColumns {
                guard let value = row[index] else { continue }
                distinct[index, default: []].insert(value)
                if distinct[index, default: []].count > maximumCategories {
                    throw MLError(
                        .tooManyCategories,
                        "text column has more than \(maximumCategories) distinct values; exclude it",
                        field: columns[index].name)
                }
            }
        }

        let features = used.flatMap { index -> [Feature] in
            let column = columns[index]
            switch column.kind {
            case .integer, .double:
                return [Feature(name: column.name, encoding: .numeric)]
            case .boolean:
                return [Feature(name: column.name, encoding: .boolean)]
            case .text:
                return [Feature(name: column.name, encoding: .categorical(vocabulary: (distinct[index] ?? []).sorted()))]
            case .timestamp, .date:
                return TimestampPart.allCases.map { part in
                    Feature(name: "\(column.name).\(part.rawValue)", encoding: .timestampPart(part), column: column.name)
                }
            }
        }
        return FeatureSpec(features: features, label: label)
    }

    /// Encodes one row into a vector in `features` order; `value` returns a column's value by name.
    public func encode(_ value: (String) -> FeatureValue) -> [Float] {
        features.map { $0.encode(value($0.column)) }
    }

    /// Encodes one row of CSV fields laid out as `columns`; absent columns are missing.
    ///
    /// For many rows, `makeRowEncoder(columns:)` looks the columns up once instead of per row.
    public func encodeCSVRow(_ fields: [String?], columns: [ColumnDescription]) -> [Float] {
        makeRowEncoder(columns: columns)(fields)
    }

    /// Returns a function that encodes rows of CSV fields laid out as `columns` (absent columns are missing).
    public func makeRowEncoder(columns: [ColumnDescription]) -> @Sendable ([String?]) -> [Float] {
        let plan = features.map { feature in (feature, columns.firstIndex { $0.name == feature.column }) }
        return { fields in
            plan.map { feature, index in
                guard let index, index < fields.count, let field = fields[index] else { return .nan }
                return feature.encode(.text(field))
            }
        }
    }

    /// Parses a label field: "t"/"true"/"yes"/"y" → 1, "f"/"false"/"no"/"n" → 0, numbers finite as a `Float`
    /// as themselves; nil if missing, unparsable, or beyond `Float` (1e300 would become +inf in training).
    public func parseLabel(_ field: String?) -> Float? {
        guard let field else { return nil }
        if let flag = Self.parseBoolean(field) { return flag ? 1 : 0 }
        guard let number = Double(field.trimmingSpaces()), Float(number).isFinite else { return nil }
        return Float(number)
    }

    /// Reads PostgreSQL's and common spellings of booleans, case-insensitively; nil if none.
    static func parseBoolean(_ text: String) -> Bool? {
        switch text.trimmingSpaces().lowercased() {
        case "t", "true", "1", "y", "yes", "on": true
        case "f", "false", "0", "n", "no", "off": false
        default: nil
        }
    }
}

extension String {
    /// The string without leading and trailing ASCII spaces and tabs.
    func trimmingSpaces() -> String {
        guard let first = firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        guard let last = lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(self[first...last])
    }
}

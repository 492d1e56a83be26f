import Foundation
import PulseML
import Testing

// Expected encodings written by hand from the rules in FeatureSpec's documentation.
@Suite struct FeatureSpecTests {
    let columns = [
        ColumnDescription(name: "id", kind: .integer),
        ColumnDescription(name: "amount", kind: .double),
        ColumnDescription(name: "city", kind: .text),
        ColumnDescription(name: "active", kind: .boolean),
        ColumnDescription(name: "created_at", kind: .timestamp),
        ColumnDescription(name: "churned", kind: .boolean),
    ]
    let rows: [[String?]] = [
        ["1", "10.5", "paris", "t", "2024-01-01 00:00:00", "f"],
        ["2", nil, "berlin", "f", "2024-01-02 00:00:00", "t"],
        ["3", "3", nil, nil, nil, "t"],
        ["4", "7", "amsterdam", "true", "2024-01-03 00:00:00", "f"],
        ["5", "1", "paris", "0", "2024-01-04 00:00:00", "f"],
    ]

    func inferred() throws -> FeatureSpec {
        try FeatureSpec.infer(columns: columns, label: "churned", exclude: ["id"], rows: rows)
    }

    @Test func inferenceKeepsTypedColumnsAndSortsVocabulary() throws {
        let spec = try inferred()
        #expect(spec.label == "churned")
        #expect(spec.features == [
            .init(name: "amount", encoding: .numeric),
            .init(name: "city", encoding: .categorical(vocabulary: ["amsterdam", "berlin", "paris"])),
            .init(name: "active", encoding: .boolean),
        ])
    }

    @Test func csvRowsEncodeInFeatureOrder() throws {
        let spec = try inferred()
        let first = spec.encodeCSVRow(rows[0], columns: columns)
        #expect(first == [10.5, 2, 1])
        let encoder = spec.makeRowEncoder(columns: columns)
        #expect(encoder(rows[0]) == first)
        let third = encoder(rows[2])
        #expect(third[0] == 3 && third[1].isNaN && third[2].isNaN)
    }

    @Test func unseenCategoryMissingAndNonFiniteBecomeNaN() throws {
        let spec = try inferred()
        let values: [String: FeatureValue] = ["amount": .number(.infinity), "city": .text("tokyo"), "active": .missing]
        let vector = spec.encode { values[$0] ?? .missing }
        #expect(vector.count == 3)
        #expect(vector.allSatisfy { $0.isNaN })
        let known = spec.encode { name in
            ["amount": FeatureValue.text("2.5"), "city": .text("berlin"), "active": .bool(true)][name] ?? .missing
        }
        #expect(known == [2.5, 1, 1])
    }

    @Test func labelsParse() throws {
        let spec = try inferred()
        #expect(spec.parseLabel("t") == 1)
        #expect(spec.parseLabel("false") == 0)
        #expect(spec.parseLabel("1") == 1)
        #expect(spec.parseLabel("2.5") == 2.5)
        #expect(spec.parseLabel(nil) == nil)
        #expect(spec.parseLabel("maybe") == nil)
    }

    @Test func tooManyCategoriesNamesTheColumn() throws {
        let wide = (0...FeatureSpec.maximumCategories).map { ["v\($0)", "0"] as [String?] }
        let error = try #require(throws: MLError.self) {
            try FeatureSpec.infer(
                columns: [.init(name: "code", kind: .text), .init(name: "y", kind: .integer)], label: "y", exclude: [],
                rows: wide)
        }
        #expect(error.code == .tooManyCategories)
        #expect(error.field == "code")
    }

    @Test func unknownLabelIsAnError() throws {
        let error = try #require(throws: MLError.self) {
            try FeatureSpec.infer(columns: columns, label: "nope", exclude: [], rows: rows)
        }
        #expect(error.code == .unknownColumn)
        #expect(error.field == "nope")
    }

    @Test func specRoundTripsThroughJSONAndRejectsUnsortedVocabulary() throws {
        let spec = try inferred()
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(FeatureSpec.self, from: data) == spec)
        let unsorted = #"{"label":"y","features":[{"name":"c","encoding":"categorical","vocabulary":["b","a"]}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FeatureSpec.self, from: Data(unsorted.utf8)) }
    }

    @Test func holdoutByOrderTakesTheLastFraction() {
        let split = HoldoutSplit.byOrder(count: 10, holdoutFraction: 0.2)
        #expect(split.train == 0..<8)
        #expect(split.holdout == 8..<10)
        #expect(HoldoutSplit.byOrder(count: 2, holdoutFraction: 0.01).holdout == 1..<2)
        #expect(HoldoutSplit.byOrder(count: 0, holdoutFraction: 0.2).holdout.isEmpty)
    }
}

extension FeatureSpecTests {
    /// NaN, ±inf and values beyond `Float`'s range (3.4e38) are missing, whether they come as JSON numbers or as text.
    @Test(arguments: [
        FeatureValue.number(.nan), .number(.infinity), .number(-.infinity), .number(1e39), .number(-1e39),
        .text("NaN"), .text("nan"), .text("inf"), .text("-Infinity"), .text("1e400"), .text("1e39"), .text(""), .text("12abc"),
    ])
    func nonFiniteNumbersAreMissing(value: FeatureValue) {
        let feature = FeatureSpec.Feature(name: "amount", encoding: .numeric)
        #expect(feature.encode(value).isNaN)
    }

    @Test func nonFiniteLabelsAreNotLabels() throws {
        let spec = try inferred()
        for text in ["NaN", "inf", "-inf", "1e400", "1e300", "-3.5e38", "", "late"] {  // ±3.5e38 and 1e300 overflow Float
            #expect(spec.parseLabel(text) == nil, "\(text)")
        }
        #expect(spec.parseLabel("-12.5") == -12.5)
    }
}

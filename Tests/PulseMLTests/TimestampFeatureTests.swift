import Foundation
import PulseML
import Testing

@Suite struct TimestampFeatureTests {
    static let spec = FeatureSpec(
        features: TimestampPart.allCases.map { .init(name: "at.\($0.rawValue)", encoding: .timestampPart($0), column: "at") }, label: "y")

    /// Expected (hour, ISO day of week, month) in UTC from Python 3.11:
    /// `datetime.fromisoformat(s).astimezone(timezone.utc)` → `.hour, .isoweekday(), .month` (offset-less inputs
    /// written with +00:00 there, as Pulse reads them as UTC).
    @Test(arguments: [
        ("2013-01-01 05:15:00+00", [5, 2, 1]),
        ("2013-01-31 23:30:00-05", [4, 5, 2]),
        ("2024-02-29T12:00:00Z", [12, 4, 2]),
        ("2013-03-10", [0, 7, 3]),
        ("2020-12-31 23:59:59.999+05:30", [18, 4, 12]),
        ("1969-12-31 23:00:00-0200", [1, 4, 1]),
        ("1900-03-01 00:00:00", [0, 4, 3]),
    ])
    func partsAreUTCCalendarFields(text: String, expected: [Float]) {
        let fromJSON = Self.spec.encode { _ in .text(text) }
        let fromCSV = Self.spec.encodeCSVRow([text], columns: [.init(name: "at", kind: .timestamp)])
        #expect(fromJSON == expected)
        #expect(fromCSV == expected)
    }

    @Test(arguments: ["", "2013-13-01", "2013-02-30", "2013-01-01 25:00", "yesterday", "2013-01-01 05:15:00+00 junk"])
    func unparsableTextIsMissing(text: String) {
        let values = Self.spec.encode { _ in .text(text) } + Self.spec.encode { _ in .number(1_357_016_400) }
            + Self.spec.encode { _ in .missing }
        #expect(values.allSatisfy { $0.isNaN })
    }

    @Test func inferenceExcludesTimestampsByDefaultOrSplitsThemIntoParts() throws {
        let columns: [ColumnDescription] = [
            .init(name: "at", kind: .timestamp), .init(name: "day", kind: .date), .init(name: "x", kind: .double), .init(name: "y", kind: .boolean),
        ]
        let rows: [[String?]] = [["2013-01-01 05:15:00+00", "2013-01-01", "1.5", "t"]]
        let excluded = try FeatureSpec.infer(columns: columns, label: "y", exclude: [], rows: rows)
        #expect(excluded.features.map(\.name) == ["x"])
        let parts = try FeatureSpec.infer(columns: columns, label: "y", exclude: ["day"], timestamps: .parts, rows: rows)
        #expect(parts.features.map(\.name) == ["at.hour", "at.day_of_week", "at.month", "x"])
        #expect(parts.features.map(\.column) == ["at", "at", "at", "x"])
        #expect(parts.encodeCSVRow(rows[0], columns: columns) == [5, 2, 1, 1.5])
        // The spec survives its JSON form (the manifest), column and part included.
        let decoded = try JSONDecoder().decode(FeatureSpec.self, from: try JSONEncoder().encode(parts))
        #expect(decoded == parts)
    }
}

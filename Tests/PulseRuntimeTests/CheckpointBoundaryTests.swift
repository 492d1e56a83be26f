import Foundation
import PulseConnectors
@testable import PulseRuntime
import Testing

/// Where a resumed extraction may continue: after the last row of a part unless the next row ties with it on
/// (cursor, key). Rows are (id, cursor, key) COPY CSV lines; the expected answers follow from the resume query
/// "rows strictly after (cursor, key), NULL keys last", worked out by hand per case.
@Suite("Checkpoint boundary")
struct CheckpointBoundaryTests {
    let boundary = CheckpointBoundary(cursorIndex: 1, keyIndex: 2)

    static let cases: [(last: String, next: String, expected: ExtractionRequest.Position?, why: String)] = [
        ("1,2013-01-01 06:00:00+00,7\n", "2,2013-01-01 07:00:00+00,7\n", .init(cursor: "2013-01-01 06:00:00+00", key: "7"), "the cursor moves on"),
        ("1,2013-01-01 06:00:00+00,7\n", "2,2013-01-01 06:00:00+00,8\n", .init(cursor: "2013-01-01 06:00:00+00", key: "7"), "a tie on the cursor, the key tells them apart"),
        ("1,2013-01-01 06:00:00+00,7\n", "2,2013-01-01 06:00:00+00,7\n", nil, "a duplicate key: resuming would skip the next row"),
        ("1,2013-01-01 06:00:00+00,7\n", "2,2013-01-01 06:00:00+00,\n", .init(cursor: "2013-01-01 06:00:00+00", key: "7"), "a NULL key follows a value (NULLs last)"),
        ("1,2013-01-01 06:00:00+00,\n", "2,2013-01-01 06:00:00+00,\n", nil, "two NULL keys with one cursor cannot be told apart"),
        ("1,2013-01-01 06:00:00+00,\n", "2,2013-01-01 07:00:00+00,\n", .init(cursor: "2013-01-01 06:00:00+00", key: nil), "after a NULL key, the cursor moves on"),
        ("1,2013-01-01 06:00:00+00,\"\"\n", "2,2013-01-01 06:00:00+00,\n", .init(cursor: "2013-01-01 06:00:00+00", key: ""), "an empty string is not NULL"),
        ("1,2013-01-01 06:00:00+00,\"a,\"\"b\"\"\"\n", "2,2013-01-01 06:00:00+00,\"a,\"\"c\"\"\"\n", .init(cursor: "2013-01-01 06:00:00+00", key: "a,\"b\""), "quoted fields are read as CSV"),
    ]

    @Test(arguments: cases.indices)
    func resumePosition(_ index: Int) throws {
        let example = Self.cases[index]
        let position = try boundary.position(after: Data(example.last.utf8), next: Data(example.next.utf8))
        #expect(position == example.expected, "\(example.why)")
    }

    @Test func aRowWithoutItsCursorIsAnError() {
        #expect(throws: StageError.self) { try boundary.position(of: Data("1,,7\n".utf8)) }
        #expect(throws: StageError.self) { try boundary.position(of: Data("1\n".utf8)) }
    }
}

import Foundation
import PulseContracts
import Testing

/// The hand-written JSON parser, writer, encoder and decoder, checked against RFC 8259's grammar, against
/// Foundation's JSONSerialization/JSONEncoder on the same inputs where it is right, and against bytes written out by hand.
@Suite("JSON codec")
struct JSONCodecTests {
    private func parse(_ text: String) throws(Problem) -> JSONValue {
        try JSONValue.parse(Data(text.utf8))
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2.5, 3e2, 0, -0.0, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(value == .object([
            "a": .array([.number(1), .number(-2.5), .number(300), .number(0), .number(-0.0), .bool(true), .bool(false), .null]),
            "b": .object(["c": .string("d")]),
            "e": .string(""),
        ]))
        #expect(try parse("42") == .number(42))
        #expect(try parse(#""x""#) == .string("x"))
    }

    @Test func decodesEscapesAndUnicode() throws {
        // "\u00e9" is é; "\ud83d\ude00" is the surrogate pair for U+1F600; raw UTF-8 passes through.
        let value = try parse(#"["a\"b\\c\/d\n\t\r\b\f", "\u00e9", "\ud83d\ude00", "naïve ✈"]"#)
        #expect(value == .array([.string("a\"b\\c/d\n\t\r\u{08}\u{0C}"), .string("é"), .string("😀"), .string("naïve ✈")]))
    }

    /// Expected values are Swift literals (rounded by the compiler) and `0.1 + 0.2`, which Python's
    /// `float("0.30000000000000004")` also equals; Foundation's parser is one ulp off on that one.
    @Test(arguments: [
        ("0.1", 0.1), ("1e-7", 1e-7), ("-123456789012345678", -123456789012345678.0),
        ("1.7976931348623157e308", Double.greatestFiniteMagnitude), ("5e-324", Double.leastNonzeroMagnitude),
        ("123456789012345", 123456789012345), ("2.5E+3", 2500), ("0.30000000000000004", 0.1 + 0.2),
    ])
    func numbersAreCorrectlyRounded(text: String, expected: Double) throws {
        #expect(try parse(text) == .number(expected))
    }

    @Test(arguments: [
        ("{\"a\":1,}", "expected a member name", 1, 8),
        ("[1 2]", "expected ',' or ']'", 1, 4),
        ("{\"a\" 1}", "expected ':'", 1, 6),
        ("{\n  \"a\": tru}", "expected 'true'", 2, 8),
        ("\"abc", "unterminated string", 1, 5),
        ("\"a\u{01}\"", "control character", 1, 3),
        ("01", "leading zeros", 1, 2),
        ("1.", "digits after '.'", 1, 3),
        ("-", "a number needs digits", 1, 2),
        ("1e400", "out of range", 1, 6),
        ("\"\\x\"", "invalid escape", 1, 3),
        ("\"\\ud83d\"", "unpaired UTF-16 surrogate", 1, 8),
        ("{} {}", "unexpected text after", 1, 4),
        ("", "unexpected end of input", 1, 1),
        ("NaN", "unexpected character 'N'", 1, 1),
    ])
    func malformedTextNamesWhatAndWhere(text: String, message: String, line: Int, column: Int) {
        do {
            _ = try parse(text)
            Issue.record("expected \(text) to be refused")
        } catch {
            #expect(error.status == 400)
            #expect(error.detail.contains(message), "\(error.detail)")
            #expect(error.detail.hasSuffix("at line \(line), column \(column)"), "\(error.detail)")
            // Foundation refuses the same text too (an independent check of the grammar), except the trailing
            // comma, which its parser tolerates although RFC 8259 does not.
            if !text.hasSuffix(",}") {
                #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) }
            }
        }
    }

    /// Valid JSON, but PostgreSQL's text and jsonb cannot store U+0000, so it is refused at the door (a raw
    /// 0x00 byte is already refused as an unescaped control character).
    @Test func theNullCharacterIsRefusedWithAReason() {
        do {
            _ = try parse(#"{"key": "a\u0000b"}"#)
            Issue.record("expected \\u0000 to be refused")
        } catch {
            #expect(error.status == 400)
            #expect(error.detail.contains("PostgreSQL cannot store it"), "\(error.detail)")
        }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: Problem.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
    }

    @Test func hostileNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try parse(deep)
            Issue.record("expected refusal")
        } catch {
            #expect(error.detail.contains("nesting deeper than 512"))
        }
    }

    @Test func canonicalBytesAreWrittenOutByHand() throws {
        let value = try parse(#"{"b": [3.0, 0.5, -1e21, "\u0001\n\"é"], "a": null, "B": true, "é": 1}"#)
        // Keys sorted by UTF-8 bytes ("B" 0x42 < "a" 0x61 < "b" 0x62 < "é" 0xC3); 3.0 → 3; control characters escaped.
        let expected = #"{"B":true,"a":null,"b":[3,0.5,-1e+21,"\u0001\n\"é"],"é":1}"#
        #expect(String(decoding: CanonicalJSON.data(value), as: UTF8.self) == expected)
        #expect(try JSONValue.parse(value.serialized()) == value)
        #expect(JSONValue.array([.number(.nan), .number(.infinity)]).serialized() == Data("[null,null]".utf8))
    }

    private struct Sample: Codable, Equatable {
        enum Kind: String, Codable { case first, second }
        var name: String
        var count: Int
        var ratio: Double
        var flag: Bool
        var kind: Kind
        var missing: String?
        var tags: [String]
        var nested: [String: [Int]]
        var tree: JSONValue
    }

    private let sample = Sample(
        name: "x", count: -3, ratio: 0.25, flag: true, kind: .second, missing: nil, tags: ["a", "b"],
        nested: ["k": [1, 2]], tree: .object(["deep": .array([.null, .string("s")])])
    )

    @Test func encodingMatchesJSONEncoder() throws {
        let ours = try JSONValue.encode(sample)
        let foundation = try JSONValue.parse(try JSONEncoder().encode(sample))
        #expect(ours == foundation)
        #expect(ours["missing"] == nil)  // nil optionals are left out, as JSONEncoder does
        #expect(try JSONCodec.decode(Sample.self, from: try JSONCodec.encode(sample)) == sample)
    }

    @Test(arguments: [
        (#"{"count": 1.5}"#, "/count", "must be an integer"),
        (#"{"count": 1e30}"#, "/count", "must be an integer"),
        (#"{"name": 7}"#, "/name", "must be a string"),
        (#"{"name": null}"#, "/name", "not null"),
        (#"{"tags": ["a", 2]}"#, "/tags/1", "must be a string"),
        (#"{"nested": {"k": [1, "two"]}}"#, "/nested/k/1", "must be an integer"),
        (#"{"kind": "third"}"#, "/kind", "Kind"),
        (#"{"tags": "a"}"#, "/tags", "must be an array"),
        (#"{}"#, "/name", "is required"),
    ])
    func decodingProblemsPointAtTheField(patch: String, pointer: String, detail: String) throws {
        guard case .object(var members) = try JSONValue.encode(sample), case .object(let changes) = try parse(patch) else {
            Issue.record("setup")
            return
        }
        if changes.isEmpty { members["name"] = nil }
        for (key, value) in changes { members[key] = value }
        do {
            _ = try JSONValue.object(members).decode(Sample.self, pointerPrefix: "/payload")
            Issue.record("expected \(patch) to be refused")
        } catch {
            #expect(error.errors?.first?.pointer == "/payload" + pointer, "\(error)")
            #expect(error.errors?.first?.detail.contains(detail) == true, "\(error)")
        }
    }
}

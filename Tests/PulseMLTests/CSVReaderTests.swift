import Foundation
import PulseML
import Testing

// Expected records written by hand from RFC 4180 §2 and checked once with Python's csv module, which
// agrees except where Pulse is deliberately stricter about NULL: Python reads both `` and `""` as '' and
// an empty line as [], where Pulse reads nil, "" and [nil] (a one-column row holding NULL).
@Suite struct CSVReaderTests {
    @Test func plainRecordsWithCRLFAndLF() throws {
        let records = try CSVReader.records("id,name\r\n1,ann\n2,bob\n")
        #expect(records == [["id", "name"], ["1", "ann"], ["2", "bob"]])
    }

    @Test func quotedCommasQuotesAndLineBreaks() throws {
        let records = try CSVReader.records("1,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n")
        #expect(records == [["1", "a,b", "say \"hi\"", "two\nlines"]])
    }

    @Test func unquotedEmptyIsNilQuotedEmptyIsEmptyString() throws {
        let records = try CSVReader.records(",\"\",x,\n")
        #expect(records == [[nil, "", "x", nil]])
    }

    @Test func emptyLineIsOneNullFieldButFinalLineBreakIsNotARecord() throws {
        #expect(try CSVReader.records("a\n\nb\n") == [["a"], [nil], ["b"]])
        #expect(try CSVReader.records("a\nb") == [["a"], ["b"]])
        #expect(try CSVReader.records("").isEmpty)
    }

    @Test func byteOrderMarkAndUnicode() throws {
        let data = Data([0xEF, 0xBB, 0xBF]) + Data("é,\"ü,ß\"\n".utf8)
        var records = [[String?]]()
        try CSVReader.parse(data) { records.append($0) }
        #expect(records == [["é", "ü,ß"]])
    }

    @Test func unterminatedQuoteIsAnError() throws {
        let error = try #require(throws: MLError.self) { try CSVReader.records("1,\"open\n2,3\n") }
        #expect(error.code == .malformedCSV)
        #expect(error.message.contains("line 1"))
    }

    @Test func textAfterClosingQuoteIsAnError() throws {
        let error = try #require(throws: MLError.self) { try CSVReader.records("\"a\"b,c\n") }
        #expect(error.code == .malformedCSV)
    }

    @Test func invalidUTF8IsAnError() throws {
        let error = try #require(throws: MLError.self) {
            try CSVReader.parse(Data([0x61, 0xFF, 0x0A])) { _ in }
        }
        #expect(error.code == .malformedCSV)
    }
}

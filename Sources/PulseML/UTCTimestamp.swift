/// The UTC calendar fields of a timestamp or date written as text, parsed without Foundation's calendars so
/// every process reads a value the same way.
///
/// Accepts `YYYY-MM-DD`, optionally followed by ` ` or `T` and `HH:MM[:SS[.fraction]]`, optionally followed by
/// `Z` or an offset `±HH`, `±HHMM` or `±HH:MM` (PostgreSQL's `timestamptz` output, ISO 8601). Without an offset
/// the time is taken as UTC. Anything else is nil.
struct UTCTimestamp: Equatable {
    let year: Int
    let month: Int
    let day: Int
    let hour: Int
    /// 1 = Monday … 7 = Sunday.
    let isoDayOfWeek: Int

    static func parse(_ text: String) -> UTCTimestamp? {
        var scanner = Scanner(Array(text.trimmingSpaces().utf8))
        guard let year = scanner.digits(4), scanner.skip("-"), let month = scanner.digits(2), scanner.skip("-"),
            let day = scanner.digits(2), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var minutes = 0
        if scanner.skip(" ") || scanner.skip("T") {
            guard let hour = scanner.digits(2), hour < 24, scanner.skip(":"), let minute = scanner.digits(2), minute < 60 else { return nil }
            minutes = hour * 60 + minute
            if scanner.skip(":") {
                guard let second = scanner.digits(2), second < 61 else { return nil }
                _ = second
                if scanner.skip(".") { guard scanner.skipDigits() else { return nil } }
            }
            if scanner.skip("Z") {
            } else if let sign = scanner.sign() {
                guard let offsetHours = scanner.digits(2), offsetHours < 16 else { return nil }
                _ = scanner.skip(":")
                let offsetMinutes = scanner.digits(2) ?? 0
                guard offsetMinutes < 60 else { return nil }
                minutes -= sign * (offsetHours * 60 + offsetMinutes)
            }
        }
        guard scanner.atEnd else { return nil }
        // Move the local day by whole days until 0 ≤ minutes < 1440.
        let dayShift = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440)
        let days = daysFromCivil(year: year, month: month, day: day) + dayShift
        minutes -= dayShift * 1440
        let date = civil(fromDays: days)
        // 1970-01-01 (day 0) was a Thursday (ISO 4).
        let weekday = ((days % 7) + 7 + 3) % 7 + 1
        return UTCTimestamp(year: date.year, month: date.month, day: date.day, hour: minutes / 60, isoDayOfWeek: weekday)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `daysFromCivil` (Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Reads ASCII bytes left to right.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        /// Exactly `count` decimal digits.
        mutating func digits(_ count: Int) -> Int? {
            guard position + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<(position + count)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            position += count
            return value
        }

        /// One or more decimal digits.
        mutating func skipDigits() -> Bool {
            let start = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position > start
        }

        mutating func sign() -> Int? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}

import Foundation

/// UTC timestamps as text: ISO-8601 (`2024-01-31T12:00:00Z`, with optional
/// fraction, `+00:00` or a bare date) and epoch milliseconds.
public enum UTCTime {
    /// Milliseconds since the epoch, or nil if `text` is neither form.
    public static func parse(_ text: Substring) -> Int64? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { parse($0) }
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        if b.isEmpty { return nil }
        return FastNumber.integer(b) ?? parseISO(b)
    }

    /// A cursor over ISO-8601 text. (A struct rather than closures capturing an
    /// index: a million timestamps parse without exclusivity checks.)
    struct Cursor {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                let c = b[k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }

        mutating func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }

        var atEnd: Bool { i == b.count }
    }

    static func parseISO(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var c = Cursor(b: b)
        guard let year = c.digits(4), c.expect(45), let month = c.digits(2), c.expect(45), let day = c.digits(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var ms = Int64(daysFromCivil(year, month, day)) * 86_400_000
        if c.atEnd { return ms }
        guard c.expect(84) || c.expect(32) else { return nil }   // 'T' or ' '
        guard let h = c.digits(2), c.expect(58), let m = c.digits(2), h < 24, m < 60 else { return nil }
        var s = 0
        if c.expect(58) { guard let v = c.digits(2), v < 60 else { return nil }; s = v }
        var fraction: Int64 = 0
        if c.expect(46) {
            var scale: Int64 = 100
            var any = false
            while c.i < b.count, b[c.i] >= 48, b[c.i] <= 57 {
                fraction += Int64(b[c.i] - 48) * scale
                scale /= 10
                c.i += 1
                any = true
            }
            guard any else { return nil }
        }
        ms += Int64(h * 3600 + m * 60 + s) * 1000 + fraction
        if c.atEnd { return ms }
        if c.expect(90) { return c.atEnd ? ms : nil }   // 'Z'
        // Only a zero offset is UTC.
        guard c.expect(43) || c.expect(45), let oh = c.digits(2) else { return nil }
        _ = c.expect(58)
        guard let om = c.digits(2), oh == 0, om == 0, c.atEnd else { return nil }
        return ms
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The UTC day (since 1970-01-01) holding `ms`, rounding down before 1970 too.
    public static func day(_ ms: Int64) -> Int64 { ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000 }

    /// Year, month and day of a day since 1970-01-01 (Howard Hinnant's civil_from_days).
    static func civil(days d0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let days = d0 + 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The ISO weekday (1 = Monday … 7 = Sunday) of a day since 1970-01-01.
    public static func weekday(day d: Int64) -> Int { Int(((d + 3) % 7 + 7) % 7) + 1 }   // 1970-01-01 was a Thursday

    /// A calendar field of the UTC time `ms` (`hour(time)` in the language).
    ///
    ///     UTCTime.calendar(.dayOfWeek, UTCTime.parse("2024-02-29T23:59:00Z")!)   // 4: a Thursday
    public static func calendar(_ field: CalendarField, _ ms: Int64) -> Int64 {
        let d = day(ms), inDay = ms - d * 86_400_000
        switch field {
        case .hour: return inDay / 3_600_000
        case .minute: return inDay / 60_000 % 60
        case .dayOfWeek: return Int64(weekday(day: d))
        case .dayOfMonth: return civil(days: d).day
        case .month: return civil(days: d).month
        case .year: return civil(days: d).year
        }
    }

    /// Months since January 1970 of the UTC month holding `ms` (a calendar bucket).
    public static func monthIndex(_ ms: Int64) -> Int64 {
        let (y, m, _) = civil(days: day(ms))
        return (y - 1970) * 12 + m - 1
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, with `.mmm` when the milliseconds are not zero.
    public static func format(_ ms: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(ms, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the ISO-8601 text of `ms` to a byte buffer.
    public static func append(_ ms: Int64, to out: inout [UInt8]) {
        var w = UTCTimeWriter()
        w.append(ms, to: &out)
    }
}

/// The fields of a UTC time a strategy can read. The day of the week is ISO's,
/// 1 = Monday … 7 = Sunday, the numbering of a session's weekdays (`Mon-Fri` is 1…5).
public enum CalendarField: Sendable, CaseIterable {
    case hour, minute, dayOfWeek, dayOfMonth, month, year
}

/// Writes many timestamps fast: the date part is computed once per day and the
/// time of day digit by digit (a million equity points in milliseconds).
public struct UTCTimeWriter {
    /// The longest text: "-YYYY-MM-DDTHH:MM:SS.mmmZ".
    public static let maxBytes = 25
    var day = Int64.min
    var prefix: (UInt64, UInt64) = (0, 0)    // "YYYY-MM-DDT", 11 or 12 bytes
    var prefixCount = 0

    public init() {}

    public mutating func append(_ ms: Int64, to out: inout [UInt8]) {
        appendWritten(to: &out) { write(ms, to: $0) }
    }

    /// Writes the text of `ms` at `p` (room for `maxBytes`); returns its length.
    public mutating func write(_ ms: Int64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let d = UTCTime.day(ms)
        if d != day {
            day = d
            let text = Self.datePrefix(d)
            prefixCount = text.count
            withUnsafeMutableBytes(of: &prefix) { $0.copyBytes(from: text) }
        }
        withUnsafeBytes(of: prefix) { p.update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: prefixCount) }
        var n = prefixCount
        func put(_ b: Int) { p[n] = UInt8(truncatingIfNeeded: b); n += 1 }
        let rest = ms - d * 86_400_000
        let secs = Int(rest / 1000), milli = Int(rest % 1000)
        let h = secs / 3600, m = secs / 60 % 60, s = secs % 60
        put(48 + h / 10); put(48 + h % 10); put(58)
        put(48 + m / 10); put(48 + m % 10); put(58)
        put(48 + s / 10); put(48 + s % 10)
        if milli != 0 {
            put(46); put(48 + milli / 100); put(48 + milli / 10 % 10); put(48 + milli % 10)
        }
        put(90)
        return n
    }

    /// "YYYY-MM-DDT" of a day since 1970-01-01.
    static func datePrefix(_ d0: Int64) -> [UInt8] {
        let (y, m, d) = UTCTime.civil(days: d0)
        var out: [UInt8] = []
        var yy = y
        if yy < 0 { out.append(45); yy = -yy }
        for p: Int64 in [1000, 100, 10, 1] { out.append(UInt8(48 + (yy / p) % 10)) }
        out.append(45); out.append(UInt8(48 + m / 10)); out.append(UInt8(48 + m % 10))
        out.append(45); out.append(UInt8(48 + d / 10)); out.append(UInt8(48 + d % 10))
        out.append(84)
        return out
    }
}

/// Durations as the language writes them: a count and a unit, `30s 15m 4h 1d 1w`.
public enum DurationText {
    static let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]

    /// Seconds of `1.5h`, `4h`, `30s` (a fractional count is allowed); nil without a unit.
    public static func seconds(_ text: String) -> Double? {
        guard let u = text.last.flatMap({ units[$0] }), let n = Double(text.dropLast()) else { return nil }
        return n * Double(u)
    }

    /// The longest bar length: 366 days, in seconds (far from overflowing when
    /// taken in milliseconds or multiplied by a bar count).
    public static let maxInterval: Int64 = 366 * 86_400

    /// A bar length: a whole positive count of a unit (`15m`, `4h`, `1d`), in
    /// seconds; nil past `maxInterval`.
    public static func interval(_ text: String) -> Int64? {
        guard let u = text.last.flatMap({ units[$0] }), let n = Int64(text.dropLast()), n > 0, n <= maxInterval / u else { return nil }
        return n * u
    }
}

import Foundation

/// UTC timestamps as text: ISO-8601 (`2024-01-31T12:00:00Z`, with optional
/// fraction, `+00:00` or a bare date) and epoch milliseconds.
public enum UTCTime {
    /// Milliseconds since the epoch, or nil if `text` is neither form.
    public static func parse(_ text: Substring) -> Int64? {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        if bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) || (bytes[0] == 45 && bytes.count > 1 && bytes.dropFirst().allSatisfy({ $0 >= 48 && $0 <= 57 })) {
            return bytes.count <= 18 ? Int64(text) : nil
        }
        return parseISO(bytes)
    }

    static func parseISO(_ b: [UInt8]) -> Int64? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                guard b[k] >= 48, b[k] <= 57 else { return nil }
                v = v * 10 + Int(b[k] - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var ms = Int64(daysFromCivil(year, month, day)) * 86_400_000
        if i == b.count { return ms }
        guard expect(84) || expect(32) else { return nil }   // 'T' or ' '
        guard let h = digits(2), expect(58), let m = digits(2), h < 24, m < 60 else { return nil }
        var s = 0
        if expect(58) { guard let v = digits(2), v < 60 else { return nil }; s = v }
        var fraction: Int64 = 0
        if expect(46) {
            var scale: Int64 = 100
            var any = false
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
                any = true
            }
            guard any else { return nil }
        }
        ms += Int64(h * 3600 + m * 60 + s) * 1000 + fraction
        if i == b.count || expect(90) { return i == b.count ? ms : nil }   // 'Z'
        // Only a zero offset is UTC.
        guard expect(43) || expect(45), let oh = digits(2) else { return nil }
        _ = expect(58)
        guard let om = digits(2), oh == 0, om == 0, i == b.count else { return nil }
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

    /// `YYYY-MM-DDTHH:MM:SSZ`, with `.mmm` when the milliseconds are not zero.
    public static func format(_ ms: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(ms, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the ISO-8601 text of `ms` to a byte buffer (no allocation per
    /// call beyond the buffer's growth: used for million-row outputs).
    public static func append(_ ms: Int64, to out: inout [UInt8]) {
        var days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let rest = ms - days * 86_400_000
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        let secs = rest / 1000, milli = rest % 1000
        func digits(_ v: Int64, _ n: Int) {
            var p: Int64 = 1
            for _ in 1..<n { p *= 10 }
            var v = v
            if v < 0 { out.append(45); v = -v }
            while p > 0 { out.append(UInt8(48 + (v / p) % 10)); p /= 10 }
        }
        digits(y, 4); out.append(45); digits(m, 2); out.append(45); digits(d, 2)
        out.append(84); digits(secs / 3600, 2); out.append(58); digits(secs / 60 % 60, 2); out.append(58); digits(secs % 60, 2)
        if milli != 0 { out.append(46); digits(milli, 3) }
        out.append(90)
    }
}

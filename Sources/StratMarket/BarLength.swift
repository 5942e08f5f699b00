/// How long a bar lasts: a fixed duration, or whole UTC calendar months (a
/// month is not a fixed number of seconds, so monthly bars cannot be told by
/// one interval).
///
///     BarLength.of(monthlyBars)              // .months(1)
///     BarLength.months(1).end(after: jan31)  // Feb 29 (the day clamped to the month)
public enum BarLength: Hashable, Sendable, Codable, CustomStringConvertible {
    case milliseconds(Int64)
    case months(Int)

    static let day: Int64 = 86_400_000

    public var description: String {
        switch self {
        case .months(let n): return "\(n)M"
        case .milliseconds(let ms):
            let s = ms / 1000
            for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3_600), ("m", 60)] where s >= size && s % size == 0 {
                return "\(s / size)\(unit)"
            }
            return ms % 1000 == 0 ? "\(s)s" : "\(ms)ms"
        }
    }

    /// The average length in milliseconds (a month: 1/12 of 365.2425 days):
    /// for annualising and for comparing lengths.
    public var nominal: Int64 {
        switch self {
        case .milliseconds(let ms): ms
        case .months(let n): Int64(n) * 2_629_746_000
        }
    }

    /// When a bar that opens at `t` ends: `t` plus the duration, or the same day
    /// and time `n` months later, the day clamped to that month's length.
    public func end(after t: Int64) -> Int64 {
        switch self {
        case .milliseconds(let ms):
            let (sum, overflow) = t.addingReportingOverflow(ms)
            return overflow ? .max : sum
        case .months(let n): return Self.addMonths(n, to: t)
        }
    }

    /// The start of the UTC period holding `t`: aligned to multiples of the
    /// duration since 1970 (weeks from Monday), or the first day of its group of
    /// `n` months counted from January 1970 (quarters from January).
    public func bucket(of t: Int64) -> Int64 {
        switch self {
        case .milliseconds(let ms): return Resampler.start(of: t, interval: ms)
        case .months(let n):
            let i = UTCTime.monthIndex(t), k = Int64(n)
            let first = i >= 0 ? i / k * k : (i - k + 1) / k * k
            return Self.monthStart(first)
        }
    }

    /// Whether bars of this length make whole bars of `other` by resampling.
    public func divides(_ other: BarLength) -> Bool {
        switch (self, other) {
        case (.milliseconds(let a), .milliseconds(let b)): return a > 0 && a < b && b % a == 0
        case (.milliseconds(let a), .months): return a > 0 && Self.day % a == 0
        case (.months(let a), .months(let b)): return a < b && b % a == 0
        case (.months, .milliseconds): return false
        }
    }

    /// The bar length of a series: the most common gap between consecutive bars
    /// (weekend and holiday gaps do not count), with calendar months (28–31 days
    /// apart, one month on), quarters and years recognised; nil below two bars.
    public static func of(_ bars: [Bar]) -> BarLength? {
        guard bars.count >= 2 else { return nil }
        var gaps: [Int64: Int] = [:], months: [Int: Int] = [:]
        let n = min(bars.count, 10_000)
        for i in 1..<n {
            let a = bars[i - 1].time, b = bars[i].time
            gaps[b - a, default: 0] += 1
            let m = Int(UTCTime.monthIndex(b) - UTCTime.monthIndex(a))
            let days = (b - a) / day
            if let range = Self.monthDays[m], range.contains(days) { months[m, default: 0] += 1 }
        }
        if let (m, count) = months.max(by: { $0.value < $1.value }), count * 2 >= n - 1 { return .months(m) }
        return gaps.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }.map { .milliseconds($0.key) }
    }

    /// Days between bars one month, one quarter and one year apart.
    static let monthDays: [Int: ClosedRange<Int64>] = [1: 28...31, 3: 89...92, 12: 365...366]

    /// Milliseconds of the first instant of month `index` (months since January 1970).
    static func monthStart(_ index: Int64) -> Int64 {
        let y = index >= 0 ? index / 12 : (index - 11) / 12
        let m = index - y * 12
        return Int64(UTCTime.daysFromCivil(Int(1970 + y), Int(m + 1), 1)) * day
    }

    static func addMonths(_ n: Int, to t: Int64) -> Int64 {
        let d = UTCTime.day(t)
        let (y, m, dd) = UTCTime.civil(days: d)
        let index = (y - 1970) * 12 + m - 1 + Int64(n)
        let year = index >= 0 ? index / 12 : (index - 11) / 12
        let month = Int(index - year * 12 + 1)
        let clamped = min(Int(dd), UTCTime.daysIn(month: month, year: Int(1970 + year)))
        return Int64(UTCTime.daysFromCivil(Int(1970 + year), month, clamped)) * day + (t - d * day)
    }
}

extension BarSeries {
    /// The series' bar length (see `BarLength.of`), or the one already found
    /// (`knownLength`: a batch finds it once for all its points).
    public var barLength: BarLength? { knownLength ?? BarLength.of(bars) }

    /// The series with its bar length and the bars' ends found, for the runs of
    /// a batch to share.
    public func measured() -> BarSeries {
        var x = self
        x.knownLength = BarLength.of(bars)
        x.knownEnds = x.knownLength.map(barEnds)
        return x
    }

    /// `barEnds(length)`, found once when `measured()` was.
    public func ends(_ length: BarLength) -> [Int64] {
        if let knownEnds, knownLength == length { return knownEnds }
        return barEnds(length)
    }

    /// When each bar ends: where the next one begins when that is one bar
    /// length on (so month-end labels of 28 to 31 days make no overlap), else
    /// one bar length after it opens (a gap, or the last bar).
    public func barEnds(_ length: BarLength) -> [Int64] {
        bars.indices.map { i in
            let nominal = length.end(after: bars[i].time)
            guard i + 1 < bars.count else { return nominal }
            let next = bars[i + 1].time
            switch length {
            case .milliseconds: return min(next, nominal)
            case .months(let n):
                return UTCTime.monthIndex(next) - UTCTime.monthIndex(bars[i].time) == Int64(n) ? next : min(next, nominal)
            }
        }
    }
}

extension BarLength {
    /// A bar length as people write it: a whole positive count of `s`, `m`, `h`,
    /// `d`, `w` (fixed) or `M` (calendar months), as in `15m`, `4h`, `1d`, `1w`,
    /// `1M`, `3M`; nil for anything else, or past 366 days or 12 months.
    ///
    ///     BarLength(parsing: "4h")   // .milliseconds(14_400_000)
    ///     BarLength(parsing: "1M")   // .months(1); "1m" is a minute
    public init?(parsing text: String) {
        // Digits, then one unit: no sign, space or fraction.
        guard text.count >= 2, text.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if text.last == "M" {
            guard let n = Int(text.dropLast()), n > 0, n <= Self.maxMonths else { return nil }
            self = .months(n)
        } else {
            guard let seconds = DurationText.interval(text) else { return nil }
            self = .milliseconds(seconds * 1000)
        }
    }

    /// The longest calendar length `init(parsing:)` takes: a year.
    public static let maxMonths = 12

    /// What `init(parsing:)` takes, for messages.
    public static let syntax = "a whole number of s, m, h, d, w or M (calendar months) such as 1m, 15m, 1h, 4h, 1d, 1w or 1M, at most 366d or 12M"

    /// How many bars of this length `b` lies after `a`, or nil when not a whole
    /// number of them (or `b` is not after `a`). Months count calendar months:
    /// a bar may be labelled anywhere in its month (on the 1st, on the last day),
    /// so what matters is the month each label falls in.
    public func count(from a: Int64, to b: Int64) -> Int64? {
        guard b > a else { return nil }
        switch self {
        case .milliseconds(let ms):
            return ms > 0 && (b - a) % ms == 0 ? (b - a) / ms : nil
        case .months(let n):
            let k = UTCTime.monthIndex(b) - UTCTime.monthIndex(a)
            return k > 0 && k % Int64(n) == 0 ? k / Int64(n) : nil
        }
    }

    /// The label of the bar `k` bars after one labelled `t`, labelled as `t` is:
    /// `t` plus k lengths; for months the same day of the month (clamped), or the
    /// last day when `t` is its month's last day (month-end labels stay month-end).
    public func label(_ k: Int64, after t: Int64) -> Int64 {
        switch self {
        case .milliseconds(let ms): return t + k * ms
        case .months(let n):
            let months = Int(k) * n
            let dayStart = UTCTime.day(t) * Self.day
            let nextMonth = Self.monthStart(UTCTime.monthIndex(t) + 1)
            guard dayStart + Self.day == nextMonth else { return Self.addMonths(months, to: t) }
            return Self.monthStart(UTCTime.monthIndex(t) + Int64(months) + 1) - Self.day + (t - dayStart)
        }
    }
}

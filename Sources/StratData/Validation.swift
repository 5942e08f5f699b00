import Foundation
import StratMarket

/// What to do with bars that fail a check.
public enum Policy: String, Codable, Sendable, CaseIterable {
    /// Refuse the whole import, naming the rows.
    case reject
    /// Keep the bars, mark them, and report them.
    case flag
    /// Fix what can be fixed (drop later duplicates, sort, fill gaps with flat
    /// zero-volume bars) and report it.
    case repair
}

/// The policy for each check, and the outlier threshold.
public struct ValidationPolicy: Codable, Sendable, Equatable {
    /// high ≥ max(open, close), low ≤ min(open, close), low ≤ high, prices > 0, volume ≥ 0.
    public var integrity: Policy = .reject
    public var duplicates: Policy = .reject
    public var order: Policy = .reject
    /// Missing bars against the interval (repair fills them only when asked).
    public var gaps: Policy = .flag
    public var outliers: Policy = .flag
    /// Bars whose distance from the previous one is not a whole number of
    /// intervals (hourly bars imported as daily, seconds read as milliseconds).
    public var spacing: Policy = .reject
    /// Robust z-score of a return against the previous `outlierWindow` returns.
    public var outlierThreshold = 10.0
    public var outlierWindow = 50
    /// Weekends are not gaps (equities); holidays still are.
    public var weekdaysOnly = false

    public init() {}

    // Reports and policies saved before `spacing` existed still decode.
    enum CodingKeys: String, CodingKey {
        case integrity, duplicates, order, gaps, outliers, spacing, outlierThreshold, outlierWindow, weekdaysOnly
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        integrity = try c.decode(Policy.self, forKey: .integrity)
        duplicates = try c.decode(Policy.self, forKey: .duplicates)
        order = try c.decode(Policy.self, forKey: .order)
        gaps = try c.decode(Policy.self, forKey: .gaps)
        outliers = try c.decode(Policy.self, forKey: .outliers)
        spacing = try c.decodeIfPresent(Policy.self, forKey: .spacing) ?? .reject
        outlierThreshold = try c.decode(Double.self, forKey: .outlierThreshold)
        outlierWindow = try c.decode(Int.self, forKey: .outlierWindow)
        weekdaysOnly = try c.decode(Bool.self, forKey: .weekdaysOnly)
    }
}

/// Flags stored with each bar (a bit per kind of issue).
public struct BarFlags: OptionSet, Codable, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let integrity = BarFlags(rawValue: 1)
    public static let duplicate = BarFlags(rawValue: 2)
    public static let outOfOrder = BarFlags(rawValue: 4)
    public static let afterGap = BarFlags(rawValue: 8)
    public static let outlier = BarFlags(rawValue: 16)
    /// A flat zero-volume bar made to fill a gap.
    public static let filled = BarFlags(rawValue: 32)
    /// Not a whole number of intervals after the previous bar.
    public static let spacing = BarFlags(rawValue: 64)

    /// Each flag's name, as `data export --flags` writes them.
    public static let names: [(BarFlags, String)] = [(.integrity, "integrity"), (.duplicate, "duplicate"), (.outOfOrder, "out_of_order"),
                                                     (.afterGap, "after_gap"), (.outlier, "outlier"), (.filled, "filled"), (.spacing, "spacing")]

    /// `integrity|outlier`; empty for none.
    public var text: String { Self.names.filter { contains($0.0) }.map(\.1).joined(separator: "|") }
}

public struct QualityIssue: Codable, Sendable, Equatable {
    public var kind: String
    public var time: Int64
    /// The CSV line, when the bars came from a file.
    public var line: Int?
    public var detail: String
    /// How bad: missing bars for a gap, the z-score for an outlier, 1 otherwise.
    public var severity: Double
}

/// A data set's quality: counts per issue, the worst examples and a score from
/// 0 (unusable) to 100 (no issue found).
public struct QualityReport: Codable, Sendable, Equatable {
    public var rows: Int
    public var counts: [String: Int]
    public var missingBars: Int
    public var worst: [QualityIssue]
    public var score: Double

    public init(rows: Int, counts: [String: Int], missingBars: Int, worst: [QualityIssue], score: Double) {
        self.rows = rows
        self.counts = counts
        self.missingBars = missingBars
        self.worst = worst
        self.score = score
    }

    /// Each issue costs its weight per row (a gap: per missing bar), as a share
    /// of the rows; 100 means no issue.
    static let weights: [String: Double] = ["integrity": 1, "duplicate": 0.5, "out_of_order": 0.5, "gap": 1, "outlier": 0.5, "spacing": 1]

    public func text(title: String) -> String {
        var t = "\(title): \(rows) bars, quality score \(String(format: "%.1f", score))/100\n"
        for kind in ["integrity", "duplicate", "out_of_order", "gap", "spacing", "outlier", "filled"] {
            let n = counts[kind] ?? 0
            t += "  \(kind.replacingOccurrences(of: "_", with: " ").padding(toLength: 13, withPad: " ", startingAt: 0)) \(n)"
            if kind == "gap", n > 0 { t += " (\(missingBars) missing bars)" }
            t += "\n"
        }
        if !worst.isEmpty {
            t += "  worst:\n"
            for w in worst { t += "    \(UTCTime.format(w.time))  \(w.kind)  \(w.detail)\(w.line.map { " (line \($0))" } ?? "")\n" }
        }
        return t
    }
}

public struct ValidationError: Error, CustomStringConvertible {
    public var issues: [QualityIssue]
    public var file: String
    public var description: String {
        let shown = issues.prefix(5).map { i in
            "\(file):\(i.line.map(String.init) ?? "?"): \(i.kind.replacingOccurrences(of: "_", with: " ")): \(i.detail) at \(UTCTime.format(i.time))"
        }
        return shown.joined(separator: "\n") + (issues.count > 5 ? "\n… and \(issues.count - 5) more" : "")
            + "\n(choose another policy with --on-invalid, --on-duplicate, --on-order, --on-gap, --on-spacing or --on-outlier)"
    }
}

/// `--on-gap repair` would add more bars than an import may: nothing is stored.
public struct GapFillLimitError: Error, CustomStringConvertible {
    public var file: String
    /// Bars the repair would add (a lower bound past the limit), and the largest gap.
    public var bars: Int
    public var largest: Int
    public var after: Int64
    public var description: String {
        "\(file): repairing the gaps would add \(bars.formatted()) bars (the largest gap: \(largest.formatted()) bars after \(UTCTime.format(after))), "
            + "more than the limit of \(Validator.maxFilledBars.formatted()) filled bars per import; import with --on-gap flag to store the bars and report the gaps, or check --interval"
    }
}

/// Checks a bar series against its bar length under a policy: returns the bars to
/// keep (repaired where asked), a flag per bar and the report, or throws for a
/// check whose policy is `reject`.
public enum Validator {
    /// The most bars `--on-gap repair` adds in one import (about 64 MB while
    /// validating); past it the import is refused before anything is filled.
    public static let maxFilledBars = 1_000_000

    /// Checks bars of a fixed `interval` in milliseconds (0: no spacing or gap checks).
    public static func validate(_ input: [Bar], interval: Int64, policy: ValidationPolicy, file: String = "<data>",
                                lineOf: (Int) -> Int? = { BarSeries.csvLine(ofBar: $0) }) throws -> (bars: [Bar], flags: [BarFlags], report: QualityReport) {
        try validate(input, length: interval > 0 ? .milliseconds(interval) : nil, policy: policy, file: file, lineOf: lineOf)
    }

    /// Checks bars of `length` (nil: no spacing or gap checks). Calendar months
    /// are counted by the month each bar's time falls in, so month-start and
    /// month-end labels both follow one another one month apart.
    public static func validate(_ input: [Bar], length: BarLength?, policy: ValidationPolicy, file: String = "<data>",
                                lineOf: (Int) -> Int? = { BarSeries.csvLine(ofBar: $0) }) throws -> (bars: [Bar], flags: [BarFlags], report: QualityReport) {
        var issues: [QualityIssue] = []
        var rejected: [QualityIssue] = []
        func note(_ kind: String, _ i: Int, _ b: Bar, _ detail: String, _ severity: Double = 1, _ p: Policy) {
            let issue = QualityIssue(kind: kind, time: b.time, line: lineOf(i), detail: detail, severity: severity)
            if p == .reject { rejected.append(issue) } else { issues.append(issue) }
        }
        // Rows with their source index, so repairs keep line numbers.
        var rows: [(index: Int, bar: Bar, flags: BarFlags)] = input.enumerated().map { ($0.offset, $0.element, []) }

        // Integrity.
        for k in rows.indices {
            let b = rows[k].bar
            var problem: String?
            if !(b.open > 0 && b.high > 0 && b.low > 0 && b.close > 0) { problem = "prices must be positive" }
            else if b.volume < 0 { problem = "negative volume \(b.volume)" }
            else if b.low > b.high { problem = "low \(b.low) above high \(b.high)" }
            else if b.high < max(b.open, b.close) { problem = "high \(b.high) below max(open, close)" }
            else if b.low > min(b.open, b.close) { problem = "low \(b.low) above min(open, close)" }
            if let problem {
                note("integrity", rows[k].index, b, problem, 1, policy.integrity)
                rows[k].flags.insert(.integrity)
            }
        }
        // Order, then duplicates (a repair sorts first, so duplicates are adjacent).
        var outOfOrder = 0
        for k in rows.indices.dropFirst() where rows[k].bar.time < rows[k - 1].bar.time {
            outOfOrder += 1
            note("out_of_order", rows[k].index, rows[k].bar, "before the previous row's \(UTCTime.format(rows[k - 1].bar.time))", 1, policy.order)
            rows[k].flags.insert(.outOfOrder)
        }
        if outOfOrder > 0, policy.order == .repair { rows.sort { $0.bar.time != $1.bar.time ? $0.bar.time < $1.bar.time : $0.index < $1.index } }
        var keep: [(index: Int, bar: Bar, flags: BarFlags)] = []
        keep.reserveCapacity(rows.count)
        for r in rows {
            if let last = keep.last, last.bar.time == r.bar.time {
                note("duplicate", r.index, r.bar, "a second bar at this time (first on line \(lineOf(last.index).map(String.init) ?? "?"))", 1, policy.duplicates)
                if policy.duplicates == .repair { continue }
                var r = r
                r.flags.insert(.duplicate)
                keep.append(r)
            } else {
                keep.append(r)
            }
        }
        // Spacing: each bar a whole number of lengths after the one before.
        if let length {
            for k in keep.indices.dropFirst() {
                let a = keep[k - 1].bar.time, b = keep[k].bar.time
                guard b > a, length.count(from: a, to: b) == nil else { continue }
                let detail: String
                switch length {
                case .milliseconds(let interval):
                    detail = "\(durationText(b - a)) after the previous bar; expected a whole number of \(durationText(interval)) intervals"
                case .months(let n):
                    let k = UTCTime.monthIndex(b) - UTCTime.monthIndex(a)
                    detail = k == 0 ? "in the same calendar month as the previous bar (\(UTCTime.format(a))); expected one bar per \(length)"
                        : "\(k) calendar months after the previous bar's; expected a whole number of \(n) months"
                }
                note("spacing", keep[k].index, keep[k].bar, detail, 1, policy.spacing)
                keep[k].flags.insert(.spacing)
            }
        }
        // Gaps against the length; repair fills flat zero-volume bars, within a
        // bound counted before anything is filled.
        let gapSizes = length.map { length in keep.indices.map { k in
            k == 0 ? 0 : missingBars(from: keep[k - 1].bar.time, to: keep[k].bar.time, length: length, weekdaysOnly: policy.weekdaysOnly)
        } } ?? []
        if policy.gaps == .repair, rejected.isEmpty {
            var total = 0, largest = 0, after: Int64 = 0
            for (k, n) in gapSizes.enumerated() where n > 0 {
                total += n
                if n > largest { largest = n; after = keep[k - 1].bar.time }
            }
            if total > maxFilledBars { throw GapFillLimitError(file: file, bars: total, largest: largest, after: after) }
        }
        var missing = 0
        var filled: [(index: Int, bar: Bar, flags: BarFlags)] = []
        filled.reserveCapacity(keep.count)
        for (k, r) in keep.enumerated() {
            if k > 0, let length {
                let prev = keep[k - 1].bar
                let expected = gapSizes[k]
                if expected > 0 {
                    missing += expected
                    note("gap", r.index, r.bar, "\(expected) bar\(expected == 1 ? "" : "s") missing since \(UTCTime.format(prev.time))",
                         Double(expected), policy.gaps)
                    var r2 = r
                    r2.flags.insert(.afterGap)
                    if policy.gaps == .repair {
                        func fill(_ t: Int64) {
                            filled.append((-1, Bar(time: t, open: prev.close, high: prev.close, low: prev.close, close: prev.close, volume: 0), [.filled]))
                        }
                        switch length {
                        case .milliseconds(let interval):
                            var t = prev.time + interval
                            while t < r.bar.time {
                                if !policy.weekdaysOnly || !isWeekend(t) { fill(t) }
                                t += interval
                            }
                        case .months:
                            // Labelled as the bar before the gap is (month-end labels stay month-end).
                            for j in 1...Int64(expected) { fill(length.label(j, after: prev.time)) }
                        }
                    }
                    filled.append(r2)
                    continue
                }
            }
            filled.append(r)
        }
        // Outliers: a return far from the recent returns' median, in MADs.
        let w = max(5, policy.outlierWindow)
        var returns: [Double] = []
        var outlierRows = Set<Int>()
        for k in filled.indices.dropFirst() {
            let a = filled[k - 1].bar.close, b = filled[k].bar.close
            guard a > 0, b > 0 else { returns.append(0); continue }
            let r = log(b / a)
            if returns.count >= w {
                let recent = returns.suffix(w).sorted()
                let median = recent[recent.count / 2]
                let mad = recent.map { abs($0 - median) }.sorted()[recent.count / 2]
                if mad > 0 {
                    let z = abs(r - median) / (1.4826 * mad)
                    if z > policy.outlierThreshold {
                        note("outlier", filled[k].index, filled[k].bar, String(format: "return %.2f%%, robust z %.1f", (exp(r) - 1) * 100, z), z, policy.outliers)
                        outlierRows.insert(k)
                        filled[k].flags.insert(.outlier)
                    }
                }
            }
            returns.append(r)
        }
        if !rejected.isEmpty { throw ValidationError(issues: rejected, file: file) }
        if policy.outliers == .reject, !outlierRows.isEmpty {
            filled = filled.enumerated().filter { !outlierRows.contains($0.offset) }.map(\.element)
        }
        if policy.integrity == .repair {
            // Nothing sensible repairs a broken bar: it is dropped.
            filled.removeAll { $0.flags.contains(.integrity) }
        }
        var counts: [String: Int] = [:]
        for i in issues { counts[i.kind, default: 0] += 1 }
        let fills = filled.filter { $0.flags.contains(.filled) }.count
        if fills > 0 { counts["filled"] = fills }
        let n = max(1, input.count)
        var cost = 0.0
        for i in issues { cost += (QualityReport.weights[i.kind] ?? 0) * (i.kind == "gap" ? i.severity : 1) }
        let score = max(0, min(100, 100 * (1 - cost / Double(n))))
        let worst = issues.sorted { $0.severity != $1.severity ? $0.severity > $1.severity : $0.time < $1.time }.prefix(10)
        let report = QualityReport(rows: input.count, counts: counts, missingBars: missing, worst: Array(worst),
                                   score: (score * 10).rounded() / 10)
        return (filled.map(\.bar), filled.map(\.flags), report)
    }

    static func isWeekend(_ t: Int64) -> Bool {
        let weekday = ((UTCTime.day(t) + 3) % 7 + 7) % 7   // 0 = Monday
        return weekday >= 5
    }

    /// Bars expected strictly between two times: for months, the bars of the
    /// calendar months between the two bars' months (every month has weekdays).
    static func missingBars(from a: Int64, to b: Int64, length: BarLength, weekdaysOnly: Bool) -> Int {
        switch length {
        case .milliseconds(let interval): return missingBars(from: a, to: b, interval: interval, weekdaysOnly: weekdaysOnly)
        case .months(let n):
            let k = Int(UTCTime.monthIndex(b) - UTCTime.monthIndex(a))
            return k > n ? k / n - 1 : 0
        }
    }

    /// Bars expected strictly between two times. On a weekday calendar a long
    /// gap is counted whole weeks at a time (five weekdays' worth each).
    static func missingBars(from a: Int64, to b: Int64, interval: Int64, weekdaysOnly: Bool) -> Int {
        guard b - a > interval else { return 0 }
        if !weekdaysOnly { return Int((b - a) / interval) - 1 }
        let week: Int64 = 604_800_000
        var n = 0, t = a + interval
        if 86_400_000 % interval == 0 {
            let perWeek = Int(week / interval), weeks = (b - t) / week
            // Each whole week holds five weekdays of bars, wherever it starts
            // (the interval divides a day, so 48 weekend hours hold whole bars).
            if weeks > 1 { n += Int(weeks - 1) * perWeek * 5 / 7; t += (weeks - 1) * week }
        }
        while t < b {
            if !isWeekend(t) { n += 1 }
            t += interval
        }
        return n
    }

    /// 1h, 86.4s, 3d: a distance in milliseconds for messages.
    static func durationText(_ ms: Int64) -> String {
        for (unit, size) in [("w", Int64(604_800_000)), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where ms % size == 0 && ms >= size {
            return "\(ms / size)\(unit)"
        }
        return ms >= 1000 ? "\(Double(ms) / 1000)s" : "\(ms)ms"
    }
}

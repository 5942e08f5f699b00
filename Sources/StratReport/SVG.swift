import Foundation
import StratBacktest
import StratMarket

/// Building blocks of the inline SVG charts: a plot area with its scales,
/// paths with coordinates to one decimal (the same text on every run), axes
/// with round ticks. Every chart is `width` × its height in user units and
/// scales to the page.
struct Plot {
    static let width = 1000.0
    static let left = 64.0, right = 12.0, top = 10.0, bottom = 22.0
    let height: Double
    let t0: Int64, t1: Int64
    let lo: Double, hi: Double
    /// Log scale (prices and equity over many years).
    var log = false

    init(height: Double, t0: Int64, t1: Int64, lo: Double, hi: Double, log: Bool = false) {
        self.height = height
        self.t0 = t0
        self.t1 = max(t1, t0 + 1)
        var lo = lo, hi = hi
        if !(lo.isFinite && hi.isFinite) { lo = 0; hi = 1 }
        if hi <= lo { let pad = lo == 0 ? 1 : abs(lo) * 0.01; lo -= pad; hi += pad }
        self.log = log && lo > 0
        self.lo = lo
        self.hi = hi
    }

    var plotWidth: Double { Self.width - Self.left - Self.right }
    var plotHeight: Double { height - Self.top - Self.bottom }

    func x(_ t: Int64) -> Double { Self.left + Double(t - t0) / Double(t1 - t0) * plotWidth }
    func y(_ v: Double) -> Double {
        let f = log ? (Foundation.log(v) - Foundation.log(lo)) / (Foundation.log(hi) - Foundation.log(lo)) : (v - lo) / (hi - lo)
        return Self.top + (1 - f) * plotHeight
    }

    /// `<svg>` with the frame, the value axis (`format` for its labels) and the time axis.
    func open(_ label: String, id: String, format: (Double) -> String = { ExplainNumber.format($0) }) -> String {
        var s = "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(n(Self.width)) \(n(height))\" role=\"img\" aria-label=\"\(escape(label))\">\n"
        s += "<rect class=\"frame\" x=\"\(n(Self.left))\" y=\"\(n(Self.top))\" width=\"\(n(plotWidth))\" height=\"\(n(plotHeight))\"/>\n"
        for v in valueTicks() {
            let yy = y(v)
            s += "<line class=\"grid\" x1=\"\(n(Self.left))\" x2=\"\(n(Self.width - Self.right))\" y1=\"\(n(yy))\" y2=\"\(n(yy))\"/>"
            s += "<text class=\"axis\" x=\"\(n(Self.left - 4))\" y=\"\(n(yy + 3))\" text-anchor=\"end\">\(escape(format(v)))</text>\n"
        }
        for (t, text) in timeTicks() {
            let xx = x(t)
            s += "<line class=\"grid\" x1=\"\(n(xx))\" x2=\"\(n(xx))\" y1=\"\(n(Self.top))\" y2=\"\(n(height - Self.bottom))\"/>"
            s += "<text class=\"axis\" x=\"\(n(xx))\" y=\"\(n(height - 6))\" text-anchor=\"middle\">\(text)</text>\n"
        }
        return s
    }

    /// Round values between lo and hi, about five.
    func valueTicks() -> [Double] {
        if log {
            var out: [Double] = []
            var d = pow(10, floor(log10(lo)))
            while d <= hi && out.count < 40 {
                for m in [1.0, 2, 5] where d * m >= lo && d * m <= hi { out.append(d * m) }
                d *= 10
            }
            if out.count >= 2 { return out }
        }
        let raw = (hi - lo) / 5
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var v = (lo / step).rounded(.up) * step, out: [Double] = []
        while v <= hi + step * 1e-9 && out.count < 20 { out.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
        return out
    }

    /// Year starts (or months, or days for short spans) between t0 and t1.
    func timeTicks() -> [(Int64, String)] {
        let day: Int64 = 86_400_000
        let spanDays = Double(t1 - t0) / Double(day)
        var out: [(Int64, String)] = []
        var c = UTCCalendar.fields(t0)
        if spanDays > 3 * 365 {
            let stepYears = max(1, Int((spanDays / 365 / 8).rounded(.up)))
            var y = c.year + 1
            while true {
                let t = UTCCalendar.time(year: y, month: 1, day: 1)
                if t > t1 { break }
                if y % stepYears == 0 { out.append((t, String(y))) }
                y += 1
            }
        } else if spanDays > 60 {
            let stepMonths = max(1, Int((spanDays / 30 / 8).rounded(.up)))
            c.month += 1
            if c.month > 12 { c.month = 1; c.year += 1 }
            while true {
                let t = UTCCalendar.time(year: c.year, month: c.month, day: 1)
                if t > t1 { break }
                if (c.month - 1) % stepMonths == 0 { out.append((t, String(format: "%04d-%02d", c.year, c.month))) }
                c.month += 1
                if c.month > 12 { c.month = 1; c.year += 1 }
            }
        } else {
            let step = max(day / 24, Int64((Double(t1 - t0) / 8 / Double(day / 24)).rounded(.up)) * (day / 24))
            var t = (t0 / step + 1) * step
            while t <= t1 { out.append((t, UTCTime.format(t).replacingOccurrences(of: ":00Z", with: "").replacingOccurrences(of: "T", with: " "))); t += step }
        }
        return out
    }
}

/// Year, month and day of a UTC time, and back (proleptic Gregorian).
enum UTCCalendar {
    struct Fields { var year: Int; var month: Int; var day: Int }
    static func fields(_ t: Int64) -> Fields {
        let days = Int(floorDiv(t, 86_400_000))
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return Fields(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }
    static func time(year: Int, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468) * 86_400_000
    }
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

/// A coordinate with one decimal, `-0` written as `0`.
func n(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let r = (v * 10).rounded() / 10
    if r == r.rounded() { return String(Int64(r)) }
    return String(format: "%.1f", r)
}

func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// A polyline of points as one path (`M x y L …`); gaps (nil) start a new run.
func linePath(_ points: [(Double, Double)?]) -> String {
    var s = "", pen = false
    for p in points {
        guard let (x, y) = p else { pen = false; continue }
        s += (pen ? "L" : "M") + n(x) + " " + n(y)
        pen = true
    }
    return s
}

/// Min/max per pixel column: at most two points (the column's extremes, in
/// their order) per column, so a line keeps every spike at any length.
func downsample(_ times: [Int64], _ values: [Double], plot: Plot) -> [(Int64, Double)] {
    let columns = Int(plot.plotWidth)
    guard values.count > 2 * columns else { return zip(times, values).filter { $0.1.isFinite } }
    var out: [(Int64, Double)] = []
    out.reserveCapacity(2 * columns + 2)
    var col = -1, lo = (Int64(0), Double.infinity), hi = (Int64(0), -Double.infinity), lastIndex = 0
    func emit() {
        guard lo.1.isFinite else { return }
        if lo.0 == hi.0 { out.append(lo) } else if lo.0 < hi.0 { out.append(lo); out.append(hi) } else { out.append(hi); out.append(lo) }
    }
    for i in values.indices where values[i].isFinite {
        let c = Int((plot.x(times[i]) - Plot.left).rounded(.down))
        if c != col { emit(); col = c; lo = (times[i], .infinity); hi = (times[i], -.infinity) }
        if values[i] < lo.1 { lo = (times[i], values[i]) }
        if values[i] > hi.1 { hi = (times[i], values[i]) }
        lastIndex = i
    }
    emit()
    // The last point is drawn where it is (the final equity).
    if let last = out.last, last.0 != times[lastIndex] { out.append((times[lastIndex], values[lastIndex])) }
    return out
}

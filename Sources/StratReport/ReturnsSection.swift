import Foundation

extension Context {
    /// Monthly returns (years × months, with the year's) and the distribution of trade returns.
    func returnsSection() -> String {
        var s = "<section id=\"returns\">\n<h2>Returns</h2>\n<h3>Monthly returns</h3>\n"
        // The equity at each month's last point; each month against the one before
        // (the first against the initial equity).
        var monthEnd: [(year: Int, month: Int, value: Double)] = []
        for (t, v) in zip(times, values) where v.isFinite {
            let f = UTCCalendar.fields(t)
            if let last = monthEnd.last, last.year == f.year, last.month == f.month { monthEnd[monthEnd.count - 1].value = v } else {
                monthEnd.append((f.year, f.month, v))
            }
        }
        var returns: [Int: [Int: Double]] = [:], yearly: [Int: Double] = [:]
        var previous = metric("initial_equity") ?? values.first { $0.isFinite } ?? 1
        for m in monthEnd {
            let r = m.value / previous - 1
            returns[m.year, default: [:]][m.month] = r
            yearly[m.year] = (1 + (yearly[m.year] ?? 0)) * (1 + r) - 1
            previous = m.value
        }
        let scale = max(0.0001, returns.values.flatMap(\.values).map(abs).max() ?? 0)
        s += "<table id=\"monthly\" class=\"heatmap\">\n<tr><th></th>"
        for name in ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] { s += "<th>\(name)</th>" }
        s += "<th>year</th></tr>\n"
        func cell(_ r: Double?) -> String {
            guard let r else { return "<td></td>" }
            let a = min(1, abs(r) / scale) * 0.85
            let color = (r >= 0 ? "rgba(26,140,70," : "rgba(200,40,40,") + String(format: "%.2f)", a)
            return "<td style=\"background:\(color)\">\(String(format: "%.1f", r * 100))</td>"
        }
        for year in returns.keys.sorted() {
            s += "<tr><th>\(year)</th>"
            for m in 1...12 { s += cell(returns[year]?[m]) }
            s += "<td class=\"year\">\(Format.pct(yearly[year], 1))</td></tr>\n"
        }
        s += "</table>\n<p class=\"legend\">percent; green gains, red losses, the deepest colour at ±\(Format.pct(scale, 1))</p>\n"
        return s + distribution() + "</section>\n"
    }

    /// A histogram of the closed trades' returns.
    func distribution() -> String {
        let r = doc.trades.compactMap(\.return).filter(\.isFinite)
        var s = "<h3>Trade returns</h3>\n"
        guard let lo = r.min(), let hi = r.max() else { return s + "<p>No closed trades.</p>\n" }
        let bins = 24
        let a = min(lo, 0), b = max(hi, 0) + (hi == lo ? 0.01 : 0)
        let width = (b - a) / Double(bins)
        var counts = Array(repeating: 0, count: bins)
        for v in r { counts[min(bins - 1, max(0, Int((v - a) / width)))] += 1 }
        let height = 180.0, left = Plot.left, plotW = Plot.width - Plot.left - Plot.right, plotH = height - Plot.top - Plot.bottom
        let top = Double(counts.max() ?? 1)
        s += "<svg id=\"distribution-chart\" class=\"chart\" viewBox=\"0 0 \(n(Plot.width)) \(n(height))\" role=\"img\" aria-label=\"Distribution of trade returns\">\n"
        s += "<rect class=\"frame\" x=\"\(n(left))\" y=\"\(n(Plot.top))\" width=\"\(n(plotW))\" height=\"\(n(plotH))\"/>\n"
        for (k, c) in counts.enumerated() where c > 0 {
            let x = left + Double(k) / Double(bins) * plotW, h = Double(c) / top * plotH
            let mid = a + (Double(k) + 0.5) * width
            s += "<rect class=\"bin \(mid >= 0 ? "win" : "loss")\" x=\"\(n(x + 1))\" y=\"\(n(Plot.top + plotH - h))\" width=\"\(n(plotW / Double(bins) - 2))\" height=\"\(n(h))\">"
            s += "<title>\(Format.pct(a + Double(k) * width, 1)) … \(Format.pct(a + Double(k + 1) * width, 1)): \(c) trade\(c == 1 ? "" : "s")</title></rect>\n"
        }
        let zero = left + (0 - a) / (b - a) * plotW
        s += "<line class=\"zero\" x1=\"\(n(zero))\" x2=\"\(n(zero))\" y1=\"\(n(Plot.top))\" y2=\"\(n(Plot.top + plotH))\"/>\n"
        for v in [a, 0, b] {
            s += "<text class=\"axis\" x=\"\(n(left + (v - a) / (b - a) * plotW))\" y=\"\(n(height - 6))\" text-anchor=\"middle\">\(Format.pct(v, 1))</text>\n"
        }
        s += "<text class=\"axis\" x=\"\(n(left - 4))\" y=\"\(n(Plot.top + 8))\" text-anchor=\"end\">\(Int(top))</text>\n"
        let wins = r.filter { $0 > 0 }.count
        return s + "</svg>\n<p class=\"legend\">\(r.count) closed trades, \(wins) won; median \(Format.pct(r.sorted()[r.count / 2]))</p>\n"
    }
}

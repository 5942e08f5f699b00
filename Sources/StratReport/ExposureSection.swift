import Foundation

extension Context {
    /// Multi-symbol runs: each symbol's position value as a share of the equity,
    /// at the chart's resolution (positions replayed from the fills).
    func exposureSection() -> String {
        guard doc.symbols.count > 1, let chart = doc.chart, !values.isEmpty else { return "" }
        var lines: [(String, [(Int64, Double)])] = []
        for p in chart.prices {
            let fills = doc.fills.filter { $0.symbol == p.symbol }.map { (Context.time($0.time) ?? 0, ($0.side == "buy" ? 1.0 : -1.0) * $0.qty) }
            var k = 0, position = 0.0, points: [(Int64, Double)] = []
            for b in p.bars {
                // Fills up to the end of the span this point stands for (before the next point).
                while k < fills.count, fills[k].0 <= b.time { position += fills[k].1; k += 1 }
                guard let e = equity(at: b.time), e > 0 else { continue }
                points.append((b.time, position * b.close / e))
            }
            lines.append((p.symbol, points))
        }
        let all = lines.flatMap { $0.1.map(\.1) }
        let plot = Plot(height: 180, t0: t0, t1: t1, lo: min(0, all.min() ?? 0), hi: max(0.01, all.max() ?? 1))
        var s = "<section id=\"exposure\">\n<h2>Exposure</h2>\n" + plot.open("Position value over equity per symbol", id: "exposure-chart") { Format.pct($0, 0) }
        for (j, l) in lines.enumerated() {
            s += "<path class=\"overlay o\(j % 6)\" d=\"\(linePath(l.1.map { (plot.x($0.0), plot.y($0.1)) }))\"><title>\(escape(l.0))</title></path>\n"
        }
        s += "</svg>\n<p class=\"legend\">"
        for (j, l) in lines.enumerated() { s += "<span class=\"key overlay o\(j % 6)\"></span>\(escape(l.0)) " }
        return s + "(position value over equity; negative: short)</p>\n</section>\n"
    }

    /// The equity at the last point at or before `t`.
    func equity(at t: Int64) -> Double? {
        var lo = 0, hi = times.count
        while lo < hi { let mid = (lo + hi) / 2; if times[mid] <= t { lo = mid + 1 } else { hi = mid } }
        return lo == 0 ? nil : values[lo - 1]
    }
}

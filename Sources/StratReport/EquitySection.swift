import Foundation

/// A drawdown: from a peak to the next new peak (or the end), through its trough.
struct Drawdown {
    var start: Int, trough: Int
    /// The first point back at the peak; nil when the curve never got there.
    var recovery: Int?
    var depth: Double
}

extension Context {
    /// Equity with its high-water mark and the buy-and-hold line.
    func equitySection() -> String {
        var s = "<section id=\"equity\">\n<h2>Equity</h2>\n"
        guard !values.isEmpty else { return s + "<p>No equity points.</p>\n</section>\n" }
        let hold = buyAndHold()
        let finite = values.filter(\.isFinite) + hold.map(\.1)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1
        let plot = Plot(height: 300, t0: t0, t1: t1, lo: lo, hi: hi, log: lo > 0 && hi / lo > 20)
        s += plot.open("Equity, high-water mark and buy-and-hold", id: "equity-chart")
        if !hold.isEmpty {
            s += "<path class=\"hold\" d=\"\(linePath(hold.map { (plot.x($0.0), plot.y($0.1)) }))\"><title>buy and hold</title></path>\n"
        }
        s += "<path class=\"hwm\" d=\"\(linePath(downsample(times, peaks, plot: plot).map { (plot.x($0.0), plot.y($0.1)) }))\"><title>high-water mark</title></path>\n"
        s += "<path class=\"equity\" d=\"\(linePath(downsample(times, values, plot: plot).map { (plot.x($0.0), plot.y($0.1)) }))\"><title>equity</title></path>\n"
        s += "</svg>\n<p class=\"legend\"><span class=\"key equity\"></span>equity <span class=\"key hwm\"></span>high-water mark"
        s += hold.isEmpty ? "" : " <span class=\"key hold\"></span>buy and hold (\(doc.symbols.count > 1 ? "equal weights, " : "")at the chart's resolution)"
        return s + "</p>\n" + underwater() + "</section>\n"
    }

    /// The capital in the symbols from the first point on, at the chart's resolution.
    func buyAndHold() -> [(Int64, Double)] {
        guard let capital = metric("initial_equity"), let prices = doc.chart?.prices, !prices.isEmpty, let start = times.first else { return [] }
        // Each symbol from its first close at or after the equity's start; a
        // symbol without a point at a time keeps its last ratio.
        var ratios: [[Int64: Double]] = []
        for p in prices {
            guard let first = p.bars.first(where: { $0.time >= start }), first.close > 0 else { continue }
            var r: [Int64: Double] = [:]
            for b in p.bars where b.time >= start { r[b.time] = b.close / first.close }
            ratios.append(r)
        }
        guard !ratios.isEmpty else { return [] }
        var last = ratios.map { _ in 1.0 }, out: [(Int64, Double)] = []
        for t in Set(ratios.flatMap(\.keys)).sorted() {
            for k in ratios.indices { if let r = ratios[k][t] { last[k] = r } }
            out.append((t, capital * last.reduce(0, +) / Double(last.count)))
        }
        return out
    }

    func drawdowns() -> [Drawdown] {
        var out: [Drawdown] = []
        var peakAt = 0, current: Drawdown?
        for i in values.indices where values[i].isFinite {
            if values[i] >= peaks[i] {
                if var d = current { d.recovery = i; out.append(d); current = nil }
                peakAt = i
            } else {
                let depth = values[i] / peaks[i] - 1
                if current == nil { current = Drawdown(start: peakAt, trough: i, recovery: nil, depth: depth) }
                if depth < current!.depth { current!.trough = i; current!.depth = depth }
            }
        }
        if let d = current { out.append(d) }
        return out
    }

    /// The drawdown from the high-water mark, the five worst marked and listed.
    func underwater() -> String {
        let dd = zip(values, peaks).map { $0.isFinite && $1 > 0 ? $0 / $1 - 1 : .nan }
        let worst = Array(drawdowns().sorted { $0.depth < $1.depth }.prefix(5))
        let plot = Plot(height: 160, t0: t0, t1: t1, lo: min(dd.filter(\.isFinite).min() ?? -0.01, -0.0001), hi: 0)
        var s = "<h3>Underwater</h3>\n" + plot.open("Drawdown from the high-water mark", id: "underwater-chart") { Format.pct($0, 0) }
        for (k, d) in worst.enumerated() {
            let x0 = plot.x(times[d.start]), x1 = plot.x(times[d.recovery ?? times.count - 1])
            s += "<rect class=\"dd-mark\" x=\"\(n(x0))\" y=\"\(n(Plot.top))\" width=\"\(n(max(1, x1 - x0)))\" height=\"\(n(plot.plotHeight))\"><title>drawdown \(k + 1): \(Format.pct(d.depth))</title></rect>"
            s += "\n"
        }
        let points = downsample(times, dd, plot: plot)
        if let first = points.first, let last = points.last {
            s += "<path class=\"underwater\" d=\"\(linePath(points.map { (plot.x($0.0), plot.y($0.1)) }))L\(n(plot.x(last.0))) \(n(plot.y(0)))L\(n(plot.x(first.0))) \(n(plot.y(0)))Z\"/>\n"
        }
        // The numbers over the area, at each trough's time.
        for (k, d) in worst.enumerated() {
            s += "<text class=\"dd-label\" x=\"\(n(plot.x(times[d.trough])))\" y=\"\(n(min(plot.y(d.depth) + 12, plot.height - Plot.bottom - 2)))\" text-anchor=\"middle\">\(k + 1)</text>\n"
        }
        s += "</svg>\n<table id=\"drawdowns\" class=\"data\">\n<tr><th>#</th><th>start</th><th>trough</th><th>recovery</th><th>depth</th><th>length</th></tr>\n"
        for (k, d) in worst.enumerated() {
            let end = d.recovery ?? times.count - 1
            let days = Double(times[end] - times[d.start]) / 86_400_000
            s += "<tr><td>\(k + 1)</td><td>\(Format.date(times[d.start]))</td><td>\(Format.date(times[d.trough]))</td>"
            s += "<td>\(d.recovery.map { Format.date(times[$0]) } ?? "not recovered")</td><td class=\"num\">\(Format.pct(d.depth))</td>"
            s += "<td class=\"num\">\(end - d.start) bars, \(String(format: "%.0f", days)) days</td></tr>\n"
        }
        return s + "</table>\n"
    }
}

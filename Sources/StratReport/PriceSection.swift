import Foundation
import StratBacktest

extension Context {
    /// One section per symbol: candles when they fit (a close line inside the
    /// high–low band when not), the `Price` lets over it, every fill marked,
    /// then a pane for each other let.
    func priceSections() -> String {
        guard let chart = doc.chart else {
            return "<section class=\"price\"><h2>Price</h2><p>The JSON holds no <code>chart</code> (written by strat 0.1.0 with issue 16 or later).</p></section>\n"
        }
        var s = ""
        for (k, p) in chart.prices.enumerated() {
            let overlays = chart.series.filter { $0.symbol == p.symbol && $0.dimension == "Price" }
            let panes = chart.series.filter { $0.symbol == p.symbol && $0.dimension != "Price" }
            let fills = doc.fills.enumerated().filter { $0.element.symbol == p.symbol }
            let lows = p.bars.map(\.low) + overlays.flatMap { $0.points.map(\.low) } + fills.map(\.element.price)
            let highs = p.bars.map(\.high) + overlays.flatMap { $0.points.map(\.high) } + fills.map(\.element.price)
            let lo = lows.filter(\.isFinite).min() ?? 0, hi = highs.filter(\.isFinite).max() ?? 1
            let plot = Plot(height: 340, t0: t0, t1: t1, lo: lo, hi: hi, log: lo > 0 && hi / lo > 20)
            s += "<section class=\"price\" id=\"price-\(k)\">\n<h2>\(escape(p.symbol))</h2>\n"
            s += plot.open("\(p.symbol) price with the strategy's price series and its fills", id: "price-chart-\(k)")
            let candles = !p.aggregated && p.bars.count <= 300
            if candles {
                let w = max(1, plot.plotWidth / Double(max(p.bars.count, 1)) * 0.7)
                for b in p.bars {
                    let x = plot.x(b.time), up = b.close >= b.open
                    let top = plot.y(max(b.open, b.close)), bottom = plot.y(min(b.open, b.close))
                    s += "<g class=\"candle \(up ? "up" : "down")\"><line x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(plot.y(b.high)))\" y2=\"\(n(plot.y(b.low)))\"/>"
                    s += "<rect x=\"\(n(x - w / 2))\" y=\"\(n(top))\" width=\"\(n(w))\" height=\"\(n(max(0.5, bottom - top)))\"/></g>\n"
                }
            } else {
                let band = p.bars.map { (plot.x($0.time), plot.y($0.high)) } + p.bars.reversed().map { (plot.x($0.time), plot.y($0.low)) }
                s += "<path class=\"range\" d=\"\(linePath(band))Z\"><title>high–low range</title></path>\n"
                s += "<path class=\"close\" d=\"\(linePath(p.bars.map { (plot.x($0.time), plot.y($0.close)) }))\"><title>close</title></path>\n"
            }
            for (j, o) in overlays.enumerated() {
                s += "<path class=\"overlay o\(j % 6)\" d=\"\(linePath(o.points.map { (plot.x($0.time), plot.y($0.last)) }))\"><title>\(escape(o.name))</title></path>\n"
            }
            s += fills.count <= Self.maxMarkerElements ? markers(fills, plot) : packedMarkers(fills, plot)
            s += "</svg>\n<p class=\"legend\">\(candles ? "candles" : p.aggregated ? "close, inside each pixel column's high–low range" : "close inside the high–low range")"
            for (j, o) in overlays.enumerated() { s += " <span class=\"key overlay o\(j % 6)\"></span>\(escape(o.name))" }
            s += " · ▲ buy ▼ sell; colour: entry, exit on a signal, stop, take, trail, expiry, risk, liquidation</p>\n"
            for (j, pane) in panes.enumerated() {
                let lo = pane.points.map(\.low).filter(\.isFinite).min() ?? 0, hi = pane.points.map(\.high).filter(\.isFinite).max() ?? 1
                let plot = Plot(height: 120, t0: t0, t1: t1, lo: lo, hi: hi)
                s += "<h3>\(escape(pane.name)) <span class=\"dim\">(\(escape(pane.dimension)))</span></h3>\n"
                s += plot.open("\(pane.name) of \(p.symbol)", id: "pane-\(k)-\(j)")
                if p.aggregated {
                    let band = pane.points.map { (plot.x($0.time), plot.y($0.high)) } + pane.points.reversed().map { (plot.x($0.time), plot.y($0.low)) }
                    s += "<path class=\"range\" d=\"\(linePath(band))Z\"/>\n"
                }
                s += "<path class=\"series\" d=\"\(linePath(pane.points.map { (plot.x($0.time), plot.y($0.last)) }))\"/>\n</svg>\n"
            }
            s += "</section>\n"
        }
        return s
    }

    /// Up to this many fills, one `<path>` per fill with its hover text; above,
    /// one path per kind of marker holding each distinct pixel position once.
    static let maxMarkerElements = 5000

    func markers(_ fills: [(offset: Int, element: ReportDocument.FillRow)], _ plot: Plot) -> String {
        var s = ""
        for (i, f) in fills {
            let x = plot.x(Context.time(f.time) ?? t0), y = plot.y(f.price)
            let (kind, what) = role(of: f)
            s += "<path class=\"fill-marker \(f.side) \(kind)\" data-fill=\"\(i)\" d=\"\(triangle(x, y, buy: f.side == "buy"))\">"
            s += "<title>\(Format.date(f.time)) \(f.side) \(ExplainNumber.format(f.qty)) at \(ExplainNumber.format(f.price)): \(escape(what))</title></path>\n"
        }
        return s
    }

    /// Tens of thousands of fills: a triangle per pixel a kind of fill lands on
    /// (`data-fills` says how many fills the path stands for).
    func packedMarkers(_ fills: [(offset: Int, element: ReportDocument.FillRow)], _ plot: Plot) -> String {
        var groups: [String: (fills: Int, seen: Set<Int64>, path: String)] = [:]
        for (_, f) in fills {
            let x = plot.x(Context.time(f.time) ?? t0).rounded(), y = plot.y(f.price).rounded()
            let key = "\(f.side) \(role(of: f).0)"
            // In place: a copy taken out of the dictionary would copy its path every time.
            groups[key, default: (0, [], "")].fills += 1
            if groups[key]!.seen.insert(Int64(x) << 20 | Int64(y)).inserted { groups[key]!.path += triangle(x, y, buy: f.side == "buy") }
        }
        return groups.keys.sorted().map { k in
            "<path class=\"fill-markers \(k)\" data-fills=\"\(groups[k]!.fills)\" d=\"\(groups[k]!.path)\"/>\n"
        }.joined()
    }

    func triangle(_ x: Double, _ y: Double, buy: Bool) -> String { buy ? "M\(n(x)) \(n(y))l-4 8h8z" : "M\(n(x)) \(n(y))l-4 -8h8z" }

    /// A fill's marker class and words: the entry of a long or short, or the
    /// exit with its reason.
    func role(of f: ReportDocument.FillRow) -> (String, String) {
        if let t = exitOf[f.order], doc.trades[t].exitTime == f.time || doc.trades[t].exitTime == nil {
            let reason = doc.trades[t].exitReason ?? "signal"
            return ("exit \(reason)", "exit of trade \(t + 1) (\(doc.trades[t].side)) by \(reason)" + (f.liquidation == true ? ", liquidation" : ""))
        }
        if let t = entryOf[f.order] {
            let line = doc.trades[t].entryLine.map { ", line \($0)" } ?? ""
            return ("entry \(doc.trades[t].side)", "entry of trade \(t + 1) (\(doc.trades[t].side)\(line))")
        }
        if f.liquidation == true { return ("exit liquidation", "liquidation") }
        let o = orders[f.order]
        return ("other", o?.action ?? "order \(f.order)")
    }
}

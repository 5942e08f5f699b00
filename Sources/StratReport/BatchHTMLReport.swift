import Foundation
import StratBatch
import StratMarket

/// The HTML report of a batch (`strat report BATCH.json`), in the backtest
/// report's style and with its guarantees: one file, inline CSS and SVG, no
/// script, the same bytes for the same JSON.
///
///     if case .sweep(let s)? = try BatchDocument.read(data) { html = BatchHTMLReport.render(s) }
public enum BatchHTMLReport {
    /// A sweep: the points' table best first, the heatmap over the first two
    /// varied inputs, PBO and DSR.
    public static func render(_ doc: SweepDocument) -> String {
        var s = page("\(doc.strategy): sweep by \(doc.objective)")
        s += "<section id=\"headline\">\n<h1>\(escape(doc.strategy)): sweep</h1>\n"
        s += "<p class=\"period\">\(doc.rows.count) of \(doc.points) point\(doc.points == 1 ? "" : "s") finished"
        s += (doc.missing > 0 ? " (\(doc.missing) missing)" : "") + ", ranked by \(escape(doc.objective))"
        s += (doc.seed.map { ", drawn with seed \($0)" } ?? "") + "</p>\n</section>\n"
        s += guards(doc)
        s += heatmap(doc)
        s += table(doc)
        return s + "</main>\n</body>\n</html>\n"
    }

    /// A walk-forward: the windows with their choice and figures, and the
    /// out-of-sample equity chained over them.
    public static func render(_ doc: WalkForwardDocument) -> String {
        let name = doc.strategy ?? "strategy"
        var s = page("\(name): walk-forward by \(doc.objective)")
        s += "<section id=\"headline\">\n<h1>\(escape(name)): walk-forward</h1>\n"
        let first = doc.windows.first.map { Format.date($0.trainFrom) } ?? "—", last = doc.windows.last.map { Format.date($0.testTo) } ?? "—"
        s += "<p class=\"period\">\(first) … \(last), \(doc.windows.count) window\(doc.windows.count == 1 ? "" : "s"), chosen by \(escape(doc.objective))</p>\n"
        let o = doc.outOfSample
        let figures: [(String, String, String)] = [
            ("final_equity", "Out-of-sample final equity", Format.money(o.finalEquity)),
            ("total_return", "Out-of-sample return", Format.pct(o.totalReturn)),
            ("cagr", "Out-of-sample CAGR", Format.pct(o.cagr)),
            ("sharpe", "Out-of-sample Sharpe", Format.ratio(o.sharpe)),
            ("max_drawdown", "Out-of-sample max drawdown", Format.pct(o.maxDrawdown)),
            ("trades", "Out-of-sample trades", "\(o.trades)"),
            ("in_sample_annual_return", "Annual return in sample", Format.pct(doc.inSampleAnnualReturn)),
            ("out_of_sample_annual_return", "Annual return out of sample", Format.pct(doc.outOfSampleAnnualReturn)),
            ("walk_forward_efficiency", "Walk-forward efficiency", Format.ratio(doc.walkForwardEfficiency)),
        ]
        s += "<div class=\"figures\">\n"
        for (key, label, value) in figures {
            s += "<div class=\"figure\"><span class=\"label\">\(label)</span><span class=\"value\" id=\"m-\(key)\">\(escape(value))</span></div>\n"
        }
        s += "</div>\n<p class=\"note\">The walk-forward efficiency is the out-of-sample annual return over the in-sample one: near 1 the "
        s += "choice held up on data it had not seen; near 0 or below, what was chosen in sample did not carry over (none when the in-sample return is not positive).</p>\n"
        s += "</section>\n"
        s += oosEquity(doc)
        s += windows(doc)
        return s + "</main>\n</body>\n</html>\n"
    }

    static func page(_ title: String) -> String {
        var s = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        s += "<title>\(escape(title)) — strat report</title>\n"
        return s + "<style>\n\(HTMLReport.css)\(css)</style>\n</head>\n<body>\n<main>\n"
    }

    static let css = """
        #heatmap svg { max-width: 100%; height: auto; display: block; } table.points { width: 100%; }
        tr.best td { font-weight: bold; } path.boundary { stroke: #c9ced8; stroke-dasharray: 2 3; }

        """

    // MARK: Sweep

    /// The varied inputs (the batch's order), then any other input the rows name, sorted.
    static func inputNames(_ doc: SweepDocument) -> [String] {
        let named = Set(doc.rows.flatMap(\.inputs.keys))
        let varied = (doc.variedInputs ?? []).filter(named.contains)
        return varied + named.subtracting(varied).sorted()
    }

    static func table(_ doc: SweepDocument) -> String {
        let inputs = inputNames(doc), settings = Set(doc.rows.flatMap(\.settings.keys)).sorted()
        var s = "<section id=\"points\">\n<h2>Points <span class=\"dim\">best first by \(escape(doc.objective))</span></h2>\n"
        s += "<table class=\"data points\">\n<thead><tr><th>#</th>"
        s += (inputs + settings).map { "<th>\(escape($0))</th>" }.joined()
        s += SweepDocument.metricNames.map { "<th class=\"num\"\($0 == doc.objective ? " scope=\"col\" title=\"the objective\"" : "")>\(escape($0))</th>" }.joined()
        s += "</tr></thead>\n<tbody>\n"
        for (i, r) in doc.rows.sorted(by: { $0.rank < $1.rank }).enumerated() {
            s += "<tr class=\"point\(i == 0 ? " best" : "")\"><td class=\"num\">\(r.rank)</td>"
            s += inputs.map { "<td>\(escape(r.inputs[$0] ?? ""))</td>" }.joined()
            s += settings.map { "<td>\(escape(r.settings[$0] ?? ""))</td>" }.joined()
            s += SweepDocument.metricNames.map { "<td class=\"num\">\(escape(metricText($0, r.metrics[$0] ?? nil)))</td>" }.joined()
            s += "</tr>\n"
        }
        return s + "</tbody>\n</table>\n</section>\n"
    }

    static func metricText(_ name: String, _ v: Double?) -> String {
        switch name {
        case "final_equity": Format.money(v)
        case "trades": v.map { String(Int($0)) } ?? "—"
        case "total_return", "cagr", "max_drawdown", "win_rate", "exposure": Format.pct(v)
        default: Format.ratio(v)
        }
    }

    /// StratBatch's heatmap (as `strat batch --heatmap` draws it) over the
    /// first two varied inputs, each cell the best objective among its points.
    static func heatmap(_ doc: SweepDocument) -> String {
        var s = "<section id=\"heatmap\">\n<h2>Heatmap</h2>\n"
        let axes = inputNames(doc)
        guard axes.count >= 2, let objective = Objective(rawValue: doc.objective) else {
            return s + "<p class=\"note\">A heatmap needs two inputs the batch varied; it varied \(axes.isEmpty ? "none" : escape(axes.joined(separator: ", "))).</p>\n</section>\n"
        }
        let (x, y) = (axes[0], axes[1])
        func values(_ name: String) -> [String] {
            Set(doc.rows.compactMap { $0.inputs[name] }).sorted { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) }
        }
        let xs = values(x), ys = values(y)
        var cells = [[Double?]](repeating: [Double?](repeating: nil, count: xs.count), count: ys.count)
        for r in doc.rows {
            guard let xv = r.inputs[x], let yv = r.inputs[y], let i = xs.firstIndex(of: xv), let j = ys.firstIndex(of: yv),
                  let v = r.metrics[doc.objective] ?? nil, v.isFinite else { continue }
            if cells[j][i].map({ v > $0 }) ?? true { cells[j][i] = v }
        }
        let map = Heatmap(x: x, y: y, xValues: xs, yValues: ys, cells: cells, objective: objective)
        s += map.svg(title: doc.strategy)
        s += "<p class=\"note\">Each cell is the best \(escape(doc.objective)) among the points with that \(escape(x)) and \(escape(y)) "
        s += "(any other inputs at their best); grey cells have no finished point. A lone bright cell among poor neighbours is more likely luck than a robust setting.</p>\n"
        return s + "</section>\n"
    }

    static func guards(_ doc: SweepDocument) -> String {
        var s = "<section id=\"overfitting\">\n<h2>Overfitting</h2>\n<div class=\"figures\">\n"
        func figure(_ id: String, _ label: String, _ g: SweepDocument.Guard?) -> String {
            let value = g?.probability.map { Format.ratio($0) } ?? "—"
            return "<div class=\"figure\"><span class=\"label\">\(label)</span><span class=\"value\" id=\"\(id)\">\(value)</span></div>\n"
        }
        s += figure("pbo", "PBO", doc.pbo) + figure("dsr", "Deflated Sharpe", doc.dsr) + "</div>\n"
        if let p = doc.pbo, let v = p.probability {
            s += "<p class=\"note\" id=\"pbo-text\">PBO, the probability of backtest overfitting: in \(Format.pct(v, 0)) of the \(p.splits ?? 0) ways of cutting "
            s += "the \(p.periods ?? 0) days (\(p.blocks ?? 0) blocks) into an in-sample and an out-of-sample half, the point best in sample was at or below "
            s += "the median out of sample. Near 0 the choice holds up; around 0.5 it is no better than picking at random, and above it worse. "
            s += "Out of sample the chosen point lost money in \(Format.pct(p.probabilityOfLoss, 0)) of the splits.</p>\n"
        } else {
            s += "<p class=\"note\" id=\"pbo-text\">No PBO: \(escape(doc.pbo?.why ?? "the batch's JSON has none")).</p>\n"
        }
        if let d = doc.dsr, let v = d.probability {
            s += "<p class=\"note\" id=\"dsr-text\">The deflated Sharpe ratio: \(Format.pct(v, 1)) confidence that the best point's true Sharpe ratio "
            s += "is above what the best of \(d.trials ?? 0) point\(d.trials == 1 ? "" : "s") with no skill would show (its daily Sharpe \(Format.ratio(d.sharpe)) "
            s += "against \(Format.ratio(d.expectedMaxSharpe))), allowing for the \(d.periods ?? 0) days and the returns' skew and fat tails. "
            s += "Below 0.95, or with PBO above 0.5, the best point is likely a fluke (Docs/Batch.md).</p>\n"
        } else {
            s += "<p class=\"note\" id=\"dsr-text\">No deflated Sharpe: \(escape(doc.dsr?.why ?? "the batch's JSON has none")).</p>\n"
        }
        return s + "</section>\n"
    }

    // MARK: Walk-forward

    static func windows(_ doc: WalkForwardDocument) -> String {
        var s = "<section id=\"windows\">\n<h2>Windows</h2>\n<table class=\"data points\">\n<thead><tr>"
        let head = ["#", "train", "test", "chosen", "in-sample \(doc.objective)", "in-sample return", "test return", "test Sharpe",
                    "test max drawdown", "test trades", "test final equity"]
        s += head.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for w in doc.windows {
            let cells = [Format.date(w.trainFrom) + " … " + Format.date(w.trainTo), Format.date(w.testFrom) + " … " + Format.date(w.testTo), w.chosen]
            let numbers = [Format.ratio(w.inSampleObjective), Format.pct(w.inSampleReturn), Format.pct(w.testReturn), Format.ratio(w.testSharpe),
                           Format.pct(w.testMaxDrawdown), "\(w.testTrades)", Format.money(w.testFinalEquity)]
            s += "<tr class=\"window\"><td class=\"num\">\(w.window)</td>" + cells.map { "<td>\(escape($0))</td>" }.joined()
            s += numbers.map { "<td class=\"num\">\(escape($0))</td>" }.joined() + "</tr>\n"
        }
        return s + "</tbody>\n</table>\n</section>\n"
    }

    static func oosEquity(_ doc: WalkForwardDocument) -> String {
        var s = "<section id=\"equity\">\n<h2>Out-of-sample equity</h2>\n"
        let times = doc.equity.map(\.0), values = doc.equity.map { $0.1 ?? .nan }
        let finite = values.filter(\.isFinite)
        guard let t0 = times.first, let t1 = times.last, let lo = finite.min(), let hi = finite.max() else {
            return s + "<p>No equity points.</p>\n</section>\n"
        }
        let plot = Plot(height: 300, t0: t0, t1: t1, lo: lo, hi: hi, log: lo > 0 && hi / lo > 20)
        s += plot.open("Out-of-sample equity, the test windows chained", id: "equity-chart")
        // Where each test window starts (after the first).
        for w in doc.windows.dropFirst() {
            guard let t = Context.time(w.testFrom), t > t0, t < t1 else { continue }
            let x = plot.x(t)
            s += "<path class=\"boundary\" d=\"M\(n(x)) \(n(Plot.top))L\(n(x)) \(n(plot.height - Plot.bottom))\"><title>window \(w.window) from \(escape(Format.date(w.testFrom)))</title></path>\n"
        }
        s += "<path class=\"equity\" d=\"\(linePath(downsample(times, values, plot: plot).map { (plot.x($0.0), plot.y($0.1)) }))\"><title>out-of-sample equity</title></path>\n"
        s += "</svg>\n<p class=\"legend\"><span class=\"key equity\"></span>equity of the test windows, each starting where the last ended (dotted: a window's start)</p>\n"
        return s + "</section>\n"
    }
}

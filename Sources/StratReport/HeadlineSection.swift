import StratBacktest
/// The summary table's figures and where the result came from.
extension Context {
    func headline() -> String {
        let m = { (k: String) in metric(k) }
        let first = times.first.map(Format.date) ?? "—", last = times.last.map(Format.date) ?? "—"
        let rows: [(String, String, String)] = [
            ("initial_equity", "Initial equity", Format.money(m("initial_equity"))),
            ("final_equity", "Final equity", Format.money(m("final_equity"))),
            ("total_return", "Total return", Format.pct(m("total_return"))),
            ("cagr", "CAGR", Format.pct(m("cagr"))),
            ("annual_volatility", "Annual volatility", Format.pct(m("annual_volatility"))),
            ("sharpe", "Sharpe", Format.ratio(m("sharpe"))),
            ("sortino", "Sortino", Format.ratio(m("sortino"))),
            ("calmar", "Calmar", Format.ratio(m("calmar"))),
            ("max_drawdown", "Max drawdown", Format.pct(m("max_drawdown"))),
            ("n_trades", "Trades", "\(Int(m("n_trades") ?? 0)) closed" + ((m("n_open_trades") ?? 0) > 0 ? " + \(Int(m("n_open_trades")!)) open" : "")),
            ("win_rate", "Win rate", Format.pct(m("win_rate"))),
            ("profit_factor", "Profit factor", Format.ratio(m("profit_factor"))),
            ("expectancy", "Expectancy", Format.money(m("expectancy"))),
            ("sqn", "SQN", Format.ratio(m("sqn"))),
            ("exposure", "Exposure", Format.pct(m("exposure"))),
            ("fees", "Fees", Format.money(m("fees"))),
        ]
        var s = "<section id=\"headline\">\n<h1>\(escape(doc.strategy)) on \(escape(doc.symbols.joined(separator: ", ")))</h1>\n"
        s += "<p class=\"period\">\(first) … \(last) (\(times.count) bars)</p>\n<div class=\"figures\">\n"
        for (key, label, value) in rows {
            s += "<div class=\"figure\"><span class=\"label\">\(label)</span><span class=\"value\" id=\"m-\(key)\">\(escape(value))</span></div>\n"
        }
        s += "</div>\n"
        for w in doc.warnings.prefix(20) { s += "<p class=\"warning\">\(escape(w))</p>\n" }
        if doc.warnings.count > 20 { s += "<p class=\"warning\">… \(doc.warnings.count - 20) more in the JSON's warnings</p>\n" }
        for d in doc.dataNotes ?? [] { s += "<p class=\"note\">\(escape(d))</p>\n" }
        return s + "</section>\n"
    }

    func provenance() -> String {
        let p = doc.provenance
        var s = "<section id=\"provenance\">\n<h2>Provenance</h2>\n<table class=\"kv\">\n"
        func row(_ k: String, _ v: String) { s += "<tr><th>\(escape(k))</th><td>\(escape(v))</td></tr>\n" }
        row("Strategy", "\(p.strategyFile) (sha256 \(p.strategySha256))")
        row("IR hash", p.irHash)
        row("Engine", "strat \(p.engineVersion)")
        row("Inputs", p.inputs.sorted { $0.key < $1.key }.map { "\($0.key) = \(ExplainNumber.format($0.value))" }.joined(separator: ", "))
        for d in p.data { row("Data \(d.symbol)", "\(d.path), \(d.rows) rows" + (d.sha256.isEmpty ? "" : ", sha256 \(d.sha256)")) }
        for (k, v) in p.config.sorted(by: { $0.key < $1.key }) { row(k, v.text) }
        s += "</table>\n</section>\n"
        // Stored data's quality, as `strat data quality` prints it (files have none).
        let reports = p.data.compactMap(\.quality)
        guard !reports.isEmpty else { return s }
        return s + "<section id=\"data-quality\">\n<h2>Data quality</h2>\n" + reports.map { "<pre>\(escape($0))</pre>\n" }.joined() + "</section>\n"
    }
}

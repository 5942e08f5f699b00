extension Context {
    /// The most rows the table shows (the first and last halves); the JSON has every trade.
    static let maxTradeRows = 1000

    /// One row per trade, each linking the rule that opened it (`file:line`
    /// with the rule's text) to the source listing.
    func tradeTable() -> String {
        var s = "<section id=\"trades\">\n<h2>Trades</h2>\n"
        guard !doc.trades.isEmpty else { return s + "<p>No trades.</p>\n</section>\n" }
        s += "<table class=\"data trades\">\n<tr><th>#</th>\(doc.symbols.count > 1 ? "<th>symbol</th>" : "")<th>side</th><th>entry</th><th>entry price</th>"
        s += "<th>exit</th><th>exit price</th><th>qty</th><th>PnL</th><th>return</th><th>fees</th><th>funding</th><th>MAE</th><th>MFE</th>"
        s += "<th>bars</th><th>exit reason</th><th>opened by</th></tr>\n"
        let n = doc.trades.count, half = Self.maxTradeRows / 2
        for (i, t) in doc.trades.enumerated() {
            if n > Self.maxTradeRows && i >= half && i < n - half {
                if i == half { s += "<tr class=\"gap\"><td colspan=\"17\">… \(n - Self.maxTradeRows) trades not shown (all are in the JSON and the --trades CSV)</td></tr>\n" }
                continue
            }
            let pnl = t.pnl ?? 0
            s += "<tr class=\"\(pnl > 0 ? "win" : pnl < 0 ? "loss" : "flat")\" id=\"trade-\(i + 1)\"><td>\(i + 1)</td>"
            if doc.symbols.count > 1 { s += "<td>\(escape(t.symbol))</td>" }
            s += "<td>\(t.side)</td><td>\(Format.date(t.entryTime))</td><td class=\"num\">\(Format.num(t.entryPrice))</td>"
            s += "<td>\(t.exitTime.map { Format.date($0) } ?? "open")</td><td class=\"num\">\(Format.num(t.exitPrice))</td>"
            s += "<td class=\"num\">\(Format.num(t.qty))</td><td class=\"num\">\(Format.money(t.pnl))</td><td class=\"num\">\(Format.pct(t.return))</td>"
            s += "<td class=\"num\">\(Format.money(t.fees))</td><td class=\"num\">\(Format.money(t.funding ?? 0))</td>"
            s += "<td class=\"num\">\(Format.pct(t.mae))</td><td class=\"num\">\(Format.pct(t.mfe))</td><td class=\"num\">\(t.barsHeld)</td>"
            s += "<td>\(escape(t.exitReason ?? (t.exitTime == nil ? "open" : "—")))</td><td>\(ruleLink(ruleLine(t)))</td></tr>\n"
        }
        return s + "</table>\n</section>\n"
    }

    /// `file:line` linking the source listing, and the line's text.
    func ruleLink(_ line: Int?) -> String {
        guard let line else { return "—" }
        let text = doc.sourceLines?[String(line)] ?? ""
        return "<a class=\"rule\" href=\"#line-\(line)\">\(escape(file)):\(line)</a> <code>\(escape(text))</code>"
    }

    /// The lines the rules are on, as the trade table links them.
    func sourceListing() -> String {
        guard let lines = doc.sourceLines, !lines.isEmpty else { return "" }
        var s = "<section id=\"source\">\n<h2>Rules</h2>\n<table class=\"source\">\n"
        for (k, text) in lines.compactMap({ k, v in Int(k).map { ($0, v) } }).sorted(by: { $0.0 < $1.0 }) {
            let opened = doc.trades.filter { ruleLine($0) == k }.count
            let closed = doc.trades.filter { t in t.exitTime != nil && (t.exitOrder.flatMap { ruleLineOf[$0] } ?? t.exitLine) == k }.count
            s += "<tr id=\"line-\(k)\"><td class=\"num\">\(escape(file)):\(k)</td><td><code>\(escape(text))</code></td>"
            s += "<td>\(opened > 0 ? "opened \(opened)" : "")\(opened > 0 && closed > 0 ? ", " : "")\(closed > 0 ? "closed \(closed)" : "")</td></tr>\n"
        }
        return s + "</table>\n</section>\n"
    }
}

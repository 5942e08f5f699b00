extension Context {
    static let maxEventRows = 500

    /// The risk engine's decisions, liquidations and margin calls, when there are any.
    func riskSection() -> String {
        let risk = doc.riskEvents ?? [], liquidations = doc.liquidations ?? [], calls = doc.marginCalls ?? []
        guard !risk.isEmpty || !liquidations.isEmpty || !calls.isEmpty else { return "" }
        var s = "<section id=\"risk\">\n<h2>Risk events</h2>\n"
        if !risk.isEmpty {
            if let state = doc.riskState { s += "<p>Trading state at the end: <b>\(escape(state))</b>.</p>\n" }
            s += "<table class=\"data risk-events\">\n<tr><th>time</th><th>symbol</th><th>line</th><th>decision</th><th>limit</th><th>requested</th><th>approved</th><th>why</th></tr>\n"
            for e in risk.prefix(Self.maxEventRows) {
                s += "<tr><td>\(Format.date(e.time))</td><td>\(escape(e.symbol ?? ""))</td><td>\(e.line.map { ruleLinkShort($0) } ?? "")</td>"
                s += "<td>\(escape(e.decision))\(e.state.map { " → \(escape($0))" } ?? "")</td><td>\(escape(e.limit ?? ""))</td>"
                s += "<td class=\"num\">\(Format.num(e.requested))</td><td class=\"num\">\(Format.num(e.approved))</td><td>\(escape(e.reason))</td></tr>\n"
            }
            if risk.count > Self.maxEventRows { s += "<tr class=\"gap\"><td colspan=\"8\">… \(risk.count - Self.maxEventRows) more in the JSON's risk_events</td></tr>\n" }
            s += "</table>\n"
        }
        for (title, list) in [("Liquidations", liquidations), ("Margin calls", calls)] where !list.isEmpty {
            s += "<h3>\(title)</h3>\n<table class=\"data liquidations\">\n<tr><th>time</th><th>symbol</th><th>side</th><th>qty</th><th>price</th><th>fee</th></tr>\n"
            for e in list.prefix(Self.maxEventRows) {
                s += "<tr><td>\(Format.date(e.time))</td><td>\(escape(e.symbol))</td><td>\(escape(e.side))</td><td class=\"num\">\(Format.num(e.qty))</td>"
                s += "<td class=\"num\">\(Format.num(e.price))</td><td class=\"num\">\(Format.money(e.fee))</td></tr>\n"
            }
            s += "</table>\n"
        }
        return s + "</section>\n"
    }

    func ruleLinkShort(_ line: Int) -> String { "<a class=\"rule\" href=\"#line-\(line)\">\(line)</a>" }
}

import Crypto
import Foundation
import StratEngine
import StratIR
import StratMarket

/// Where a result came from: enough to reproduce it.
public struct Provenance: Sendable {
    public struct DataFile: Sendable {
        public var symbol: String
        public var path: String
        public var sha256: String
        public var rows: Int
        /// Stored data's latest quality report, as `strat data quality` prints it.
        public var quality: String?
        public init(symbol: String, path: String, sha256: String, rows: Int, quality: String? = nil) {
            self.symbol = symbol
            self.path = path
            self.sha256 = sha256
            self.rows = rows
            self.quality = quality
        }
    }
    public static let engineVersion = "0.1.0"
    public var strategyFile: String
    public var strategySHA256: String
    public var irHash: String
    public var inputs: [(name: String, value: Double)]
    public var data: [DataFile]
    public var config: BacktestConfig
    /// The text of each source line a rule or an action is on, by line number
    /// (the report and `strat explain` quote the rule that opened a trade).
    public var sourceLines: [Int: String]

    public init(strategyFile: String, strategySHA256: String, irHash: String, inputs: [(name: String, value: Double)],
                data: [DataFile], config: BacktestConfig, sourceLines: [Int: String] = [:]) {
        self.sourceLines = sourceLines
        self.strategyFile = strategyFile
        self.strategySHA256 = strategySHA256
        self.irHash = irHash
        self.inputs = inputs
        self.data = data
        self.config = config
    }

    /// The text of the lines `strategy`'s rules and their actions are on, trimmed.
    public static func ruleLines(_ source: String, _ strategy: IRStrategy) -> [Int: String] {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [Int: String] = [:]
        for r in strategy.rules {
            for line in [r.source?.line] + r.actions.map(\.source?.line) {
                if let line, line >= 1, line <= lines.count {
                    out[line] = lines[line - 1].trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\r")))
                }
            }
        }
        return out
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

/// The result as JSON (keys in snake_case), CSV files and a summary table.
public enum Report {
    public static func json(_ r: BacktestResult, _ p: Provenance) -> Data {
        var w = JSONWriter()
        write(r, p, &w)
        return Data(w.out)
    }


    /// Streams the JSON to a file through a small buffer. `equity`: the curve's
    /// text made during the run, if it was (then it is held whole until written,
    /// about 50 bytes a point, the price of making it on the other core);
    /// without it the points are formatted here in chunks and never sit in
    /// memory as text all at once.
    public static func writeJSON(_ r: BacktestResult, _ p: Provenance, to path: String, equity: EquityText? = nil) throws {
        guard let f = fopen(path, "wb") else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        var w = JSONWriter(sink: f)
        write(r, p, &w, equity: equity)
        let ok = w.flush()
        guard fclose(f) == 0, ok else { throw CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: path]) }
    }

    static func write(_ r: BacktestResult, _ p: Provenance, _ w: inout JSONWriter, equity: EquityText? = nil) {
        w.beginObject()
        w.newline(); w.field("strategy", r.strategy)
        w.newline(); w.key("symbols"); w.beginArray(); for s in r.symbols { w.string(s) }; w.endArray()
        w.newline(); w.key("metrics"); metrics(&w, r.metrics)
        w.newline(); w.key("trades"); w.beginArray()
        for t in r.trades { w.newline(); trade(&w, t) }
        w.endArray()
        w.newline(); w.key("orders"); w.beginArray()
        // The exchange's liquidation orders are listed only when they traded: the
        // others are watch levels, re-priced at every fill.
        for o in r.orders where o.tag.role != .liquidation || o.filledQuantity > 0 { w.newline(); order(&w, o) }
        w.endArray()
        w.newline(); w.key("fills"); w.beginArray()
        for f in r.fills {
            w.newline(); w.beginObject()
            w.field("order", f.order); w.field("symbol", f.symbol); w.field("side", f.side.rawValue)
            w.field("qty", f.quantity); w.field("price", f.price); w.field("fee", f.fee)
            w.field(time: "time", f.time); w.field("liquidity", f.liquidity.rawValue)
            if let leg = f.leg { w.field("leg", leg.rawValue) }
            if f.liquidation { w.field("liquidation", true) }
            w.endObject()
        }
        w.endArray()
        w.newline(); w.key("equity"); w.beginArray()
        // A million points: made as raw bytes (the same text the generic calls
        // give) during the run by `EquityText`, or here by two threads, chunk
        // pairs at a time. Cash is in the equity CSV; here it would only repeat
        // the fills.
        if let equity, equity.received == r.equity.count {
            for chunk in equity.finish() { w.rawElement { $0.append(contentsOf: chunk) }; w.flushIfLarge() }
        } else {
            let chunk = EquityText.chunk
            nonisolated(unsafe) let buffers = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: 2)
            buffers.initialize(repeating: [])
            defer { buffers.deinitialize(); buffers.deallocate() }
            let points = r.equity
            var start = 0
            while start < points.count {
                let first = start
                DispatchQueue.concurrentPerform(iterations: 2) { k in
                    let lo = min(points.count, first + k * chunk), hi = min(points.count, lo + chunk)
                    buffers[k] = formatEquity(points, lo..<hi)
                }
                for k in 0..<2 where !buffers[k].isEmpty { w.rawElement { $0.append(contentsOf: buffers[k]) }; w.flushIfLarge() }
                start += 2 * chunk
            }
        }
        w.endArray()
        func events(_ key: StaticString, _ list: [LiquidationEvent]) {
            w.newline(); w.key(key); w.beginArray()
            for e in list {
                w.newline(); w.beginObject()
                w.field(time: "time", e.time); w.field("symbol", e.symbol); w.field("side", e.side.rawValue)
                w.field("qty", e.quantity); w.field("price", e.price); w.field("fee", e.fee); w.field("insurance_fund", e.insuranceFund)
                w.endObject()
            }
            w.endArray()
        }
        if let p = r.perp {
            w.newline(); w.field("funding_paid", p.fundingPaid)
            w.newline(); w.field("funding_received", p.fundingReceived)
            w.newline(); w.field("insurance_fund", p.insuranceFund)
            events("liquidations", p.liquidations)
        }
        if let m = r.margin {
            w.newline(); w.field("borrow_interest", m.interest)
            events("margin_calls", m.marginCalls)
        }
        if let events = r.riskEvents {
            w.newline(); w.field("risk_state", r.riskState?.rawValue)
            w.newline(); w.key("risk_events"); w.beginArray()
            for e in events {
                w.newline(); w.beginObject()
                w.field(time: "time", e.time); w.field("symbol", e.symbol); w.field("line", e.line)
                w.field("decision", e.decision.rawValue); w.field("limit", e.limit)
                w.field("requested", e.requested); w.field("approved", e.approved); w.field("reason", e.reason)
                if let st = e.state { w.field("state", st.rawValue) }
                w.endObject()
            }
            w.endArray()
        }
        if !r.dataNotes.isEmpty { w.newline(); w.key("data_notes"); w.beginArray(); for x in r.dataNotes { w.string(x) }; w.endArray() }
        w.newline(); w.key("warnings"); w.beginArray(); for x in r.warnings + r.notices.lines { w.string(x) }; w.endArray()
        w.newline(); w.key("provenance"); provenance(&w, p)
        // Appended for the HTML report and `strat explain` (Docs/Reports.md).
        w.newline(); w.key("source_lines"); w.beginObject()
        for (line, text) in p.sourceLines.sorted(by: { $0.key < $1.key }) { w.key(dynamic: String(line)); w.string(text) }
        w.endObject()
        w.newline(); w.key("signals"); w.beginArray()
        for x in r.signals {
            w.newline(); w.beginObject()
            w.field(time: "time", x.time); w.field(time: "bar_time", x.barTime); w.field("symbol", x.symbol)
            w.field("rule", x.rule); w.field("line", x.line)
            w.key("orders"); w.beginArray(); for o in x.orders { w.int(o) }; w.endArray()
            w.key("clauses"); w.beginArray(); for c in r.signalText.clauses(x) { w.string(c) }; w.endArray()
            w.endObject()
        }
        w.endArray()
        w.newline(); w.key("chart"); chart(&w, r.chart)
        w.newline(); w.endObject(); w.newline()
    }

    /// Equity points `range` as JSON array elements, each on its own line
    /// (the first without a leading comma: the writer adds it), written
    /// through a pointer into one allocation.
    static func formatEquity(_ points: [EquityPoint], _ range: Range<Int>) -> [UInt8] {
        let open: StaticString = "\n{\"time\":\"", key: StaticString = "\",\"equity\":"
        let most = 1 + open.utf8CodeUnitCount + UTCTimeWriter.maxBytes + key.utf8CodeUnitCount + NumberText.maxBytes + 1
        return [UInt8](unsafeUninitializedCapacity: range.count * most) { buf, count in
            var times = UTCTimeWriter()
            var p = buf.baseAddress!
            points.withUnsafeBufferPointer { points in
                for i in range {
                    if i > range.lowerBound { p[0] = 44; p += 1 }
                    p.update(from: open.utf8Start, count: open.utf8CodeUnitCount); p += open.utf8CodeUnitCount
                    p += times.write(points[i].time, to: p)
                    p.update(from: key.utf8Start, count: key.utf8CodeUnitCount); p += key.utf8CodeUnitCount
                    let e = points[i].equity
                    if e.isFinite { p += NumberText.write(e, to: p) } else {
                        for b in "null".utf8 { p[0] = b; p += 1 }
                    }
                    p[0] = 125; p += 1
                }
            }
            count = p - buf.baseAddress!
        }
    }

    static func metrics(_ w: inout JSONWriter, _ m: Metrics) {
        w.beginObject()
        w.field("initial_equity", m.initialEquity); w.field("final_equity", m.finalEquity)
        w.field("total_return", m.totalReturn); w.field("cagr", m.cagr)
        w.field("annual_volatility", m.annualVolatility); w.field("sharpe", m.sharpe); w.field("sortino", m.sortino)
        w.field("calmar", m.calmar); w.field("max_drawdown", m.maxDrawdown)
        w.field("max_drawdown_bars", m.maxDrawdownBars); w.field("max_drawdown_days", m.maxDrawdownDays)
        w.field("n_trades", m.nTrades); w.field("n_open_trades", m.nOpenTrades)
        w.field("win_rate", m.winRate); w.field("profit_factor", m.profitFactor); w.field("expectancy", m.expectancy)
        w.field("average_win", m.averageWin); w.field("average_loss", m.averageLoss)
        w.field("exposure", m.exposure); w.field("fees", m.fees); w.field("sqn", m.sqn)
        w.field("periods_per_year", m.periodsPerYear); w.field("ambiguous_bars", m.ambiguousBars)
        w.endObject()
    }

    static func trade(_ w: inout JSONWriter, _ t: Trade) {
        w.beginObject()
        w.field("symbol", t.symbol); w.field("side", t.side); w.field("qty", t.qty)
        w.field(time: "entry_time", t.entryTime); w.field("entry_price", t.entryPrice)
        w.field(time: "exit_time", t.exitTime); w.field("exit_price", t.exitPrice)
        w.field("pnl", t.pnl); w.field("return", t.returnPct); w.field("fees", t.fees); w.field("bars_held", t.barsHeld)
        w.field("entry_line", t.entryLine); w.field("exit_line", t.exitLine)
        if let l = t.riskLimit { w.field("risk_limit", l) }
        if t.funding != 0 { w.field("funding", t.funding) }
        if t.interest != 0 { w.field("interest", t.interest) }
        w.field("exit_reason", t.exitReason)
        w.field("entry_order", t.entryOrder); w.field("exit_order", t.exitOrder)
        w.field("mae", t.mae); w.field("mfe", t.mfe)
        w.endObject()
    }

    static func chart(_ w: inout JSONWriter, _ c: ChartData) {
        w.beginObject()
        w.field("columns", ChartData.columns)
        w.key("prices"); w.beginArray()
        for p in c.prices {
            w.newline(); w.beginObject()
            w.field("symbol", p.symbol); w.field("aggregated", p.aggregated)
            w.key("bars"); w.beginArray()
            for b in p.points {
                w.newline(); w.beginObject()
                w.field(time: "time", b.time); w.field("open", b.open); w.field("high", b.high); w.field("low", b.low)
                w.field("close", b.close); w.field("volume", b.volume)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("series"); w.beginArray()
        for x in c.series {
            w.newline(); w.beginObject()
            w.field("name", x.name); w.field("symbol", x.symbol); w.field("dimension", x.dimension)
            w.key("points"); w.beginArray()
            for p in x.points {
                w.newline(); w.beginObject()
                w.field(time: "time", p.time); w.field("low", p.low); w.field("high", p.high); w.field("last", p.last)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    static func order(_ w: inout JSONWriter, _ o: Order) {
        w.beginObject()
        w.field("id", o.id); w.field("symbol", o.symbol); w.field("side", o.side.rawValue); w.field("type", o.type.rawValue)
        w.field("qty", o.quantity); w.field("limit_price", o.limitPrice); w.field("stop_price", o.stopPrice)
        switch o.trail {
        case .absolute(let d)?: w.field("trail", d); w.field("trail_kind", "price")
        case .percent(let p)?: w.field("trail", p); w.field("trail_kind", "percent")
        case nil: break
        }
        w.field("time_in_force", o.timeInForce.rawValue); w.field(time: "expire_at", o.expireAt)
        w.field("reduce_only", o.reduceOnly); w.field("post_only", o.postOnly)
        if let d = o.displayQuantity { w.field("display_qty", d) }
        w.field("parent", o.parent); w.field("oco_group", o.ocoGroup)
        w.field("state", o.state.rawValue); w.field("filled_qty", o.filledQuantity)
        w.field("average_fill_price", o.filledQuantity > 0 ? o.averageFillPrice : nil)
        w.field("line", o.tag.line); w.field("action", o.tag.action)
        w.key("history"); w.beginArray()
        for e in o.history {
            w.beginObject(); w.field(time: "time", e.time); w.field("state", e.state.rawValue)
            if let r = e.reason { w.field("reason", r) }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    static func provenance(_ w: inout JSONWriter, _ p: Provenance) {
        let c = p.config, x = c.execution
        w.beginObject()
        w.field("engine_version", Provenance.engineVersion)
        w.field("strategy_file", p.strategyFile); w.field("strategy_sha256", p.strategySHA256); w.field("ir_hash", p.irHash)
        w.key("inputs"); w.beginObject(); for i in p.inputs { w.key(dynamic: i.name); w.number(i.value) }; w.endObject()
        w.key("data"); w.beginArray()
        for d in p.data {
            w.beginObject(); w.field("symbol", d.symbol); w.field("path", d.path); w.field("sha256", d.sha256); w.field("rows", d.rows)
            if let q = d.quality { w.field("quality", q) }
            w.endObject()
        }
        w.endArray()
        w.key("config"); w.beginObject()
        w.field("capital", c.capital); w.field("fill", x.fill.rawValue); w.field("half_spread", x.halfSpread)
        w.field("slippage", x.slippage.description); w.field("maker_fee", x.makerFee); w.field("taker_fee", x.takerFee)
        w.field("latency_ms", Int(x.latency)); w.field("participation", x.participation)
        w.field("tick_size", x.tickSize); w.field("lot_size", x.lotSize)
        w.key("instruments"); w.beginObject()
        for (symbol, i) in x.instruments.sorted(by: { $0.key < $1.key }) {
            w.key(dynamic: symbol); w.beginObject()
            w.field("tick_size", i.tickSize); w.field("lot_size", i.lotSize); w.field("min_notional", i.minNotional)
            w.endObject()
        }
        w.endObject()
        w.key("session"); w.beginObject()
        w.key("weekdays"); w.beginArray(); for d in x.session.weekdays.sorted() { w.int(d) }; w.endArray()
        w.field("open_minute", x.session.openMinute); w.field("close_minute", x.session.closeMinute)
        w.key("holidays"); w.beginArray(); for d in x.session.holidays.sorted() { w.time(d * 86_400_000) }; w.endArray()
        w.endObject()
        w.field("periods_per_year", c.periodsPerYear)
        if let t = c.tradeFrom { w.field(time: "trade_from", t) }
        w.endObject()
        w.endObject()
    }

    /// One row per trade; empty exit cells for a trade still open. Numbers are
    /// for people (12 significant digits, no binary noise); the JSON has them exact.
    public static func tradesCSV(_ r: BacktestResult) -> String {
        var s = "symbol,side,qty,entry_time,entry_price,exit_time,exit_price,pnl,return,fees,bars_held,entry_line,exit_line,funding,interest,exit_reason\n"
        func n(_ v: Double?) -> String { v.map(NumberText.readable) ?? "" }
        for t in r.trades {
            s += "\(t.symbol),\(t.side),\(n(t.qty)),\(UTCTime.format(t.entryTime)),\(n(t.entryPrice)),"
            s += "\(t.exitTime.map(UTCTime.format) ?? ""),\(n(t.exitPrice)),\(n(t.pnl)),\(n(t.returnPct)),\(n(t.fees)),\(t.barsHeld),"
            s += "\(t.entryLine.map(String.init) ?? ""),\(t.exitLine.map(String.init) ?? ""),\(n(t.funding)),\(n(t.interest)),\(t.exitReason ?? "")\n"
        }
        return s
    }

    public static func equityCSV(_ r: BacktestResult) -> Data {
        var out: [UInt8] = Array("time,equity,cash\n".utf8)
        out.reserveCapacity(r.equity.count * 48)
        var times = UTCTimeWriter()
        for e in r.equity {
            times.append(e.time, to: &out)
            out.append(44); JSONWriter.append(e.equity, to: &out)
            out.append(44); JSONWriter.append(e.cash, to: &out)
            out.append(10)
        }
        return Data(out)
    }

    /// Funding and liquidations of a perpetual-futures run; a spot margin
    /// account's interest and margin calls, when it had any.
    static func perpRows(_ r: BacktestResult) -> [(String, String)] {
        func num(_ v: Double) -> String { String(format: "%.2f", v) }
        if let m = r.margin, m.interest > 0 || !m.marginCalls.isEmpty {
            var rows = [("Borrow interest", num(m.interest)), ("Margin calls", "\(m.marginCalls.count)")]
            if let first = m.marginCalls.first {
                rows.append(("", "first \(UTCTime.format(first.time)) \(first.symbol) short at \(NumberText.readable(first.price))"))
            }
            return rows
        }
        guard let p = r.perp else { return [] }
        var rows = [("Funding", "paid \(num(p.fundingPaid)), received \(num(p.fundingReceived))"),
                    ("Liquidations", "\(p.liquidations.count)" + (p.insuranceFund > 0 ? " (insurance fund \(num(p.insuranceFund)))" : ""))]
        if let first = p.liquidations.first {
            rows.append(("", "first \(UTCTime.format(first.time)) \(first.symbol) \(first.side.rawValue) at \(NumberText.readable(first.price))"))
        }
        return rows
    }

    /// The risk engine's decisions, counted; the state it ended in and why.
    static func riskRows(_ r: BacktestResult) -> [(String, String)] {
        guard let events = r.riskEvents else { return [] }
        func count(_ d: RiskEvent.Decision) -> Int { events.filter { $0.decision == d }.count }
        var rows = [("Risk", "\(count(.accept)) entries accepted, \(count(.resize)) resized, \(count(.deny)) denied, \(count(.cut)) fills cut")]
        let changes = events.filter { $0.decision == .state }
        for e in changes.prefix(3) {
            rows.append(("", "\(UTCTime.format(e.time)) \(e.state?.rawValue ?? "scale") (\(e.limit ?? "")): \(e.reason)"))
        }
        if changes.count > 3 { rows.append(("", "… \(changes.count - 3) more state changes in the JSON's risk_events")) }
        return rows
    }

    /// The readable summary printed by `strat backtest`.
    public static func summary(_ r: BacktestResult) -> String {
        let m = r.metrics
        func pct(_ v: Double?) -> String { v.map { String(format: "%.2f%%", $0 * 100) } ?? "—" }
        func num(_ v: Double?, _ digits: Int = 2) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "—" }
        let first = r.equity.first.map { UTCTime.format($0.time) } ?? "—", last = r.equity.last.map { UTCTime.format($0.time) } ?? "—"
        let rows: [(String, String)] = [
            ("Strategy", "\(r.strategy) on \(r.symbols.joined(separator: ", "))"),
        ] + r.dataNotes.map { ("Data", $0) } + [
            ("Period", "\(first) … \(last) (\(r.equity.count) bars)"),
            ("Initial equity", num(m.initialEquity)),
            ("Final equity", num(m.finalEquity)),
            ("Total return", pct(m.totalReturn)),
            ("CAGR", pct(m.cagr)),
            ("Annual volatility", pct(m.annualVolatility)),
            ("Sharpe", num(m.sharpe, 3)),
            ("Sortino", num(m.sortino, 3)),
            ("Calmar", num(m.calmar, 3)),
            ("Max drawdown", "\(pct(m.maxDrawdown)) (longest \(m.maxDrawdownBars) bars, \(num(m.maxDrawdownDays, 1)) days)"),
            ("Trades", "\(m.nTrades) closed" + (m.nOpenTrades > 0 ? " + \(m.nOpenTrades) open" : "")),
            ("Win rate", pct(m.winRate)),
            ("Profit factor", num(m.profitFactor, 3)),
            ("Expectancy", num(m.expectancy)),
            ("Average win / loss", "\(num(m.averageWin)) / \(num(m.averageLoss))"),
            ("SQN", num(m.sqn, 3)),
            ("Exposure", pct(m.exposure)),
            ("Fees", num(m.fees)),
            ("Ambiguous bars", "\(m.ambiguousBars)"),
        ] + perpRows(r) + riskRows(r) + (r.notices.total > 0 ? [("Not done", "\(r.notices.total) (actions that did nothing, orders that did not trade: see the notes)")] : [])
        let width = rows.map(\.0.count).max()!
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n") + "\n"
    }
}

/// The JSON text of an equity curve, made chunk by chunk on a background queue
/// while the backtest is still running (the run takes one core; this uses the
/// other). Chunks are formatted in arrival order on one serial queue.
public final class EquityText: @unchecked Sendable {
    static let chunk = 32_768
    private let queue = DispatchQueue(label: "strat.equity-text")
    private var chunks: [[UInt8]] = []     // touched only on `queue`
    /// Points handed over so far (by the run's thread only).
    public private(set) var received = 0

    public init() {}

    func add(_ points: [EquityPoint]) {
        received += points.count
        queue.async { self.chunks.append(Report.formatEquity(points, points.indices)) }
    }

    /// Waits for the last chunk; the text in order.
    func finish() -> [[UInt8]] { queue.sync { chunks } }
}

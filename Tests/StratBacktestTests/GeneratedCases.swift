import Foundation
import StratBacktest
import StratEngine
import StratMarket

/// A generated backtest: a strategy (rules of every kind of order), bars with
/// gaps, flat and limit-up bars and ties, and random engine options. Kept as
/// parts so a failing case can be shrunk part by part.
struct GeneratedCase: CustomStringConvertible {
    struct Rule { var condition: String; var actions: [String] }
    var seed: UInt64
    var market: String
    var pyramiding: Int
    var universe: Bool
    var rules: [Rule]
    /// The lines of a `risk { }` block (none: no block).
    var risk: [String] = []
    var bars: [Bar]
    /// Finer bars (15m inside the hourly bars), when the case uses `--intrabar`.
    var fine: [Bar]?
    var config: BacktestConfig

    static let hour: Int64 = 3_600_000
    static let start: Int64 = 1_704_067_200_000   // 2024-01-01, a Monday

    var source: String {
        var s = "strategy G {\n  market \(market)\n  timeframe 1h\n"
        if universe { s += "  universe X\n" }
        if pyramiding > 0 { s += "  pyramiding \(pyramiding)\n" }
        for r in rules {
            s += "  when \(r.condition) {\n"
            for a in r.actions { s += "    " + a.replacingOccurrences(of: "\n", with: "\n      ") + "\n" }
            s += "  }\n"
        }
        if !risk.isEmpty { s += "  risk {\n" + risk.map { "    \($0)\n" }.joined() + "  }\n" }
        return s + "}\n"
    }

    var description: String {
        let x = config.execution
        var d = "seed \(seed)\n\(source)"
        d += "options: capital \(config.capital) fill \(x.fill.rawValue) lot \(x.lotSize.map { "\($0)" } ?? "-") tick \(x.tickSize.map { "\($0)" } ?? "-")"
        d += " fees \(x.makerFee)/\(x.takerFee) spread \(x.halfSpread) slippage \(x.slippage) latency \(x.latency)"
        d += " participation \(x.participation.map { "\($0)" } ?? "-") session \(x.session == .alwaysOpen ? "24/7" : "Mon-Fri 08:00-20:00")"
        d += " intrabar \(fine != nil) borrow \(config.borrowRate) maintenance \(config.shortMaintenance ?? 0)\nbars (\(bars.count)):\n"
        for b in bars { d += "  \(UTCTime.format(b.time)) \(b.open) \(b.high) \(b.low) \(b.close) \(b.volume)\n" }
        return d
    }

    /// The case as files: `g.strat`, `x.csv` (and `fine.csv`) and `args` (the
    /// `strat backtest` options), to replay it from the command line.
    func write(to dir: String) {
        let url = URL(fileURLWithPath: dir)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        func csv(_ bars: [Bar]) -> String {
            "time,open,high,low,close,volume\n" + bars.map { "\($0.time),\($0.open),\($0.high),\($0.low),\($0.close),\($0.volume)\n" }.joined()
        }
        try? source.write(to: url.appendingPathComponent("g.strat"), atomically: true, encoding: .utf8)
        try? csv(bars).write(to: url.appendingPathComponent("x.csv"), atomically: true, encoding: .utf8)
        if let fine { try? csv(fine).write(to: url.appendingPathComponent("fine.csv"), atomically: true, encoding: .utf8) }
        let x = config.execution
        var args = ["--data X=x.csv", "--capital \(config.capital)", "--fill \(x.fill.rawValue)", "--maker-fees \(x.makerFee * 10_000)",
                    "--taker-fees \(x.takerFee * 10_000)", "--half-spread \(x.halfSpread * 10_000)", "--slippage \(x.slippage)",
                    "--latency \(x.latency)"]
        if let l = x.lotSize { args.append("--lot-size \(l)") }
        if let t = x.tickSize { args.append("--tick-size \(t)") }
        if let p = x.participation { args.append("--participation \(p * 100)") }
        if x.session != .alwaysOpen { args.append("--session 'Mon-Fri 08:00-20:00'") }
        if fine != nil { args.append("--intrabar X=fine.csv") }
        if config.borrowRate > 0 { args.append("--borrow-rate \(config.borrowRate * 100)") }
        if let m = config.shortMaintenance, m != 0.3 { args.append("--maintenance-margin \(m * 100)") }
        try? (args.joined(separator: " ") + "\n").write(to: url.appendingPathComponent("args"), atomically: true, encoding: .utf8)
    }

    // MARK: Generation

    static func make(seed: UInt64) -> GeneratedCase {
        var g = SplitMix64(seed: seed)
        func pick<T>(_ xs: [T]) -> T { xs[Int(g.next() % UInt64(xs.count))] }
        func chance(_ p: Double) -> Bool { g.unit() < p }

        let market = pick(["spot", "spot", "spot(margin: true)", "perp(leverage: 3x)", "perp(leverage: 5x, margin: cross)",
                           "perp(leverage: 3x, mode: hedge)", "perp(leverage: 10x, margin: cross, mode: hedge)"])
        let shorts = market != "spot"
        let atr = pick(["atr(3)", "2", "0.5 * atr(5)", "stddev(close, 4)"])
        let conditions = ["close > open", "close < open", "close > sma(close, 4)", "close < sma(close, 4)",
                          "crossover(close, sma(close, 3))", "crossunder(close, ema(close, 5))", "rsi(close, 3) < 35",
                          "rsi(close, 3) > 65", "high == close", "low == close", "volume > sma(volume, 4)",
                          "barssince(close > open) > 1", "close > close[2]", "close < close[3]"]
        func entry(_ side: String) -> String {
            let long = side == "long", up = long ? "+" : "-", down = long ? "-" : "+"
            var head = "enter \(side)"
            switch g.next() % 5 {
            case 0: head += " at limit close \(down) \(pick(["0.5", "1", "2", atr]))"
            case 1: head += " at stop close \(up) \(pick(["0.5", "1", atr]))"
            case 2: head += " at stop close \(up) 1 limit close \(up) \(pick(["1.5", "3"]))"
            default: break
            }
            var clauses: [String] = []
            let hasStop = chance(0.5)
            let stop = hasStop ? pick(["\(pick(["1%", "2%", "0.5%"]))", "close \(down) \(pick(["4", "6", "3 + \(atr)"]))"]) : nil
            switch g.next() % 9 {
            case 0: head += " size qty(\(pick(["1", "3", "2.5", "0.3", "40"])))"
            case 1: head += " size \(pick(["10%", "50%", "150%"]))"
            case 2: head += " size notional(\(pick(["500", "2000", "50000"])))"
            case 3: head += " size risk(1%, stop: close \(down) \(pick(["2", "4"])))"
            case 4: head += " size volatility(1%, \(pick(["atr(3)", "2"])))"
            case 5: head += " size kelly(0.5, cap: 20%)"
            default: break   // all in
            }
            if let stop { clauses.append("stop \(stop)") }
            if chance(0.4) { clauses.append("take \(pick(["1%", "3%", "close \(up) \(pick(["4", "7", "4 + \(atr)"]))"]))") }
            if chance(0.25) { clauses.append("trail \(pick(["1%", "2", "2 * atr(3)", "high - low"]))") }
            let resting = head.contains(" at ")
            switch g.next() % 8 {
            case 0: clauses.append("tif ioc")
            case 1: clauses.append("tif fok")
            case 2: clauses.append("tif day")
            case 3 where resting: clauses.append("expire after \(pick(["2 bars", "1 bars", "3h"]))")
            default: break
            }
            if resting, head.contains("at limit"), chance(0.15) { clauses.append("post only") }
            if chance(0.1) { clauses.append("display \(pick(["1", "2"]))") }
            return ([head] + clauses).joined(separator: "\n")
        }
        func exit(_ side: String) -> String {
            let long = side == "long", up = long ? "+" : "-", down = long ? "-" : "+"
            switch g.next() % 7 {
            case 0: return "exit \(side) size \(pick(["50%", "25%"]))"
            case 1: return "exit \(side) at limit close \(up) \(pick(["1", "2"]))"
            case 2: return "exit \(side) at stop close \(down) \(pick(["1", "2"]))"
            case 3: return "exit \(side)\ntrail \(pick(["1%", "1.5"]))"
            case 4: return "exit \(side) size qty(1)"
            default: return "exit \(side)"
            }
        }
        var rules: [Rule] = []
        var entered: Set<String> = []
        for _ in 0..<(1 + Int(g.next() % 4)) {
            var actions: [String] = []
            for _ in 0..<(1 + Int(g.next() % 2)) {
                switch g.next() % 10 {
                case 0...3: entered.insert("long"); actions.append(entry("long"))
                case 4...5 where shorts: entered.insert("short"); actions.append(entry("short"))
                case 6: actions.append(pick(["flatten", "cancel entries", "cancel all", "cancel long"] + (shorts ? ["cancel short"] : [])))
                default: if !entered.isEmpty { actions.append(exit(pick(entered.sorted()))) } else {
                    entered.insert("long"); actions.append(entry("long"))
                }
                }
            }
            rules.append(Rule(condition: pick(conditions) + (chance(0.3) ? " and \(pick(conditions))" : ""), actions: actions))
        }

        // Bars: a random walk with gaps (missing hours and jumps), flat bars,
        // limit-up bars (all four prices equal after a jump) and ties (a coarse grid).
        let grid = chance(0.3) ? 0.5 : nil
        func onGrid(_ p: Double) -> Double { grid.map { max($0, ($0 * (p / $0).rounded())) } ?? p }
        var bars: [Bar] = []
        var price = 100.0, t = start
        let vol = 0.004 + 0.02 * g.unit()
        for _ in 0..<(40 + Int(g.next() % 60)) {
            if chance(0.05) { t += hour * Int64(1 + g.next() % 5) }   // missing bars
            var open = price
            if chance(0.06) { open *= 1 + (g.unit() - 0.5) * 0.1 }      // a gap
            open = onGrid(open)
            if chance(0.05) {
                bars.append(Bar(time: t, open: open, high: open, low: open, close: open, volume: chance(0.5) ? 0 : 500))
            } else {
                let close = onGrid(open * (1 + (g.unit() - 0.5) * 2 * vol))
                let high = onGrid(max(open, close) * (1 + g.unit() * vol)), low = onGrid(min(open, close) * (1 - g.unit() * vol))
                bars.append(Bar(time: t, open: open, high: max(high, open, close), low: min(low, open, close), close: close,
                                volume: chance(0.03) ? 0 : (100 + 2000 * g.unit()).rounded()))
            }
            price = bars.last!.close
            t += hour
        }

        var c = BacktestConfig()
        c.capital = pick([10_000, 10_000, 1_000_000, 500])
        var x = ExecutionConfig()
        x.fill = chance(0.2) ? .close : .nextOpen
        x.lotSize = pick([nil, nil, 1, 0.1])
        x.tickSize = pick([nil, nil, 0.01, 0.5])
        x.makerFee = pick([0, 0.0002, 0.001])
        x.takerFee = pick([0, 0.0005, 0.001])
        x.halfSpread = pick([0, 0, 0.0005])
        x.slippage = pick([.none, .none, .fixedBps(5), .linear(0.1), .squareRoot(0.1)])
        x.latency = pick([0, 0, 600_000, 1_200_000, 5_400_000])
        x.participation = pick([nil, nil, 0.1, 0.5])
        if chance(0.15) { x.session = TradingSession(parsing: "Mon-Fri 08:00-20:00")! }
        c.execution = x
        var fine: [Bar]?
        if chance(0.2) { fine = bars.flatMap { split($0, &g) } }
        var risk: [String] = []
        if chance(0.4) {
            if chance(0.5) { risk.append("max drawdown \(pick(["3%", "5%", "10%"])) then \(pick(["halt", "halt", "halt for 3h", "scale 50%"]))") }
            if chance(0.5) { risk.append("max position \(pick(["20%", "50%", "90%"])) of equity") }
            if chance(0.4) { risk.append("max exposure \(pick(["30%", "80%"])) of equity") }
            if shorts, chance(0.4) { risk.append("max leverage \(pick(["0.5x", "1.5x"]))") }
            if chance(0.3) { risk.append("max daily loss \(pick(["1%", "2%"]))") }
            if chance(0.3) { risk.append("max trade risk \(pick(["0.5%", "1%"]))") }
            if chance(0.3) { risk.append("max open risk \(pick(["1%", "3%"]))") }
        }
        // (Drawn last, so the cases before it stay as they were.)
        if market == "spot(margin: true)", chance(0.6) {
            c.borrowRate = pick([0.05, 0.5, 5])
            c.shortMaintenance = pick([0.3, 0.45, 0.49])
            // A short near the margin limit, without a stop: the broker's margin call closes it.
            if chance(0.5) { rules.insert(Rule(condition: pick(conditions), actions: ["enter short size 190%"]), at: 0) }
        }
        return GeneratedCase(seed: seed, market: market, pyramiding: chance(0.2) ? Int(1 + g.next() % 2) : 0,
                             universe: chance(0.5), rules: rules, risk: risk, bars: bars, fine: fine, config: c)
    }

    /// Four 15-minute bars that make up `b` (their open, extremes and close agree with it).
    static func split(_ b: Bar, _ g: inout SplitMix64) -> [Bar] {
        let q = hour / 4
        let highAt = Int(g.next() % 4), lowAt = (highAt + 1 + Int(g.next() % 3)) % 4
        var points = [b.open]
        for k in 1..<4 { points.append(min(b.high, max(b.low, b.open + (b.close - b.open) * Double(k) / 4))) }
        points.append(b.close)
        return (0..<4).map { k in
            let o = points[k], c = points[k + 1]
            var hi = max(o, c), lo = min(o, c)
            if k == highAt { hi = b.high }
            if k == lowAt { lo = b.low }
            return Bar(time: b.time + Int64(k) * q, open: o, high: hi, low: lo, close: c, volume: b.volume / 4)
        }
    }

    // MARK: Shrinking

    /// Smaller variants of the case, simplest first: fewer rules, actions,
    /// clauses and bars, default options.
    var smaller: [GeneratedCase] {
        var out: [GeneratedCase] = []
        for i in rules.indices where rules.count > 1 { var c = self; c.rules.remove(at: i); out.append(c) }
        for i in rules.indices {
            for j in rules[i].actions.indices where rules[i].actions.count > 1 { var c = self; c.rules[i].actions.remove(at: j); out.append(c) }
            for j in rules[i].actions.indices {
                let lines = rules[i].actions[j].split(separator: "\n")
                for k in lines.indices.dropFirst() {
                    var c = self
                    var l = lines; l.remove(at: k)
                    c.rules[i].actions[j] = l.joined(separator: "\n")
                    out.append(c)
                }
            }
        }
        if bars.count > 8 {
            for keep in [bars.count / 2, bars.count - 4, bars.count - 1] {
                var c = self
                c.bars = Array(bars.prefix(keep))
                if let f = fine { c.fine = f.filter { $0.time < c.bars.last!.time + Self.hour } }
                out.append(c)
            }
        }
        var d = BacktestConfig()
        d.capital = config.capital
        var options: [(inout ExecutionConfig) -> Void] = [
            { $0.fill = .nextOpen }, { $0.lotSize = nil }, { $0.tickSize = nil }, { $0.makerFee = 0; $0.takerFee = 0 },
            { $0.halfSpread = 0 }, { $0.slippage = .none }, { $0.latency = 0 }, { $0.participation = nil }, { $0.session = .alwaysOpen },
        ]
        options.append { _ in }
        for f in options.dropLast() {
            var c = self
            f(&c.config.execution)
            if c.config.execution != config.execution { out.append(c) }
        }
        if fine != nil { var c = self; c.fine = nil; out.append(c) }
        if pyramiding > 0 { var c = self; c.pyramiding = 0; out.append(c) }
        for k in risk.indices { var c = self; c.risk.remove(at: k); out.append(c) }
        return out
    }

    /// The smallest variant on which `fails` still holds (greedy).
    func shrunk(while fails: (GeneratedCase) -> Bool) -> GeneratedCase {
        var best = self
        var improved = true
        var steps = 0
        while improved, steps < 500 {
            improved = false
            for c in best.smaller where fails(c) {
                best = c
                improved = true
                steps += 1
                break
            }
        }
        return best
    }
}

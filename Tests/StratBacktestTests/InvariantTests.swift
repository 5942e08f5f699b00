import Foundation
@testable import StratBacktest
import StratEngine
import StratIR
import StratMarket
import StratRuntime
import StratSyntax
import Testing

/// What must hold on every run, whatever the strategy, the bars and the
/// options (issue 10, part C). Each check returns the invariants a case breaks.
enum Invariants {
    /// Returns per UTC day from a kept curve: each day's last point against the
    /// day before's last (the first day's against the first point).
    static func dailyReturns(_ equity: [EquityPoint]) -> [Double] {
        let day = { (t: Int64) in t >= 0 ? t / 86_400_000 : (t - 86_399_999) / 86_400_000 }
        var lasts: [Double] = []
        for (i, p) in equity.enumerated() where i + 1 == equity.count || day(equity[i + 1].time) != day(p.time) { lasts.append(p.equity) }
        guard let first = equity.first?.equity else { return [] }
        return zip([first] + lasts.dropLast(), lasts).map { $0 != 0 ? $1 / $0 - 1 : 0 }
    }

    /// Every field of an order but its history of events (which runs without details do not keep).
    static func outcome(_ o: Order) -> String {
        Mirror(reflecting: o).children.filter { $0.label != "history" }.map { "\($0.label ?? "")=\($0.value)" }.joined(separator: " ")
    }

    static func violations(_ c: GeneratedCase) -> [String] {
        let compiled = Compiler.compile(SourceFile(name: "g.strat", text: c.source))
        guard let s = compiled.ir?.strategies.first else {
            return ["does not compile: " + compiled.diagnostics.map { "\($0.code.rawValue) \($0.message)" }.joined(separator: "; ")]
        }
        let x = BarSeries(symbol: "X", bars: c.bars)
        let fine = c.fine.map { [BarSeries(symbol: "X", bars: $0)] } ?? []
        let b: Backtest, r: BacktestResult
        do {
            b = try Backtest(s, data: [x], config: c.config, intrabar: fine)
            b.exchange.tracesTrails = true
            r = try b.run()
        } catch { return ["the run failed: \(error)"] }
        var out: [String] = []
        func fail(_ m: String) { if out.count < 5 { out.append(m) } }
        let capital = c.config.capital, x0 = c.config.execution
        let notional = r.fills.reduce(0) { $0 + abs($1.quantity * $1.price) }
        let tolerance = 1e-9 * (capital + notional)

        // Accounting: the equity moved by the trades' PnL (closed, and open at the
        // last close) and by nothing else; the cash replays from the fills.
        let lastClose = c.bars.last!.close
        var pnl = 0.0
        for (i, t) in r.trades.enumerated() {
            if let p = t.pnl { pnl += p; continue }
            let (exited, exitPrice) = b.account.book.exited(i)
            let dir = t.side == "long" ? 1.0 : -1.0
            pnl += dir * (exited * (exitPrice - t.entryPrice) + (t.qty - exited) * (lastClose - t.entryPrice)) - t.fees - t.funding - t.interest
        }
        // (A perpetual's liquidation losses beyond its margin are the insurance fund's.)
        let moved = (r.equity.last?.equity ?? capital) - capital - (b.perp?.insuranceFundCovered ?? 0)
        if abs(moved - pnl) > tolerance { fail("equity moved \(moved) but the trades account for \(pnl)") }
        let held = b.portfolio.position("X")
        if let spot = b.portfolio as? SpotPortfolio {
            // (Exact without interest; interest paid between fills reorders the sums.)
            let replayed = spot.replayCash(r.fills)
            if spot.interestPaid == 0 ? replayed != spot.cash : abs(replayed - spot.cash) > tolerance { fail("the cash does not replay from the fills") }
            if let e = r.equity.last, abs(e.equity - (spot.cash + held * lastClose)) > tolerance {
                fail("the last equity point is not cash plus the position at the close")
            }
        } else if let e = r.equity.last, abs(e.equity - b.portfolio.equity) > tolerance {
            fail("the last equity point is not the account's equity")
        }

        // Every filled quantity belongs to exactly one trade.
        let filled = r.fills.reduce(0) { $0 + $1.quantity }
        var traded = 0.0
        for (i, t) in r.trades.enumerated() {
            let exited = t.pnl != nil ? t.qty : b.account.book.exited(i).quantity
            if exited > t.qty * (1 + 1e-12) { fail("trade \(i) exits more than it entered") }
            traded += t.qty + exited
        }
        if abs(filled - traded) > 1e-9 * max(1, filled) { fail("fills add up to \(filled) but the trades to \(traded)") }
        // (One open trade per position: per leg in hedge mode.)
        let positions = b.portfolio.hedged ? [PositionSide.long, .short].filter { b.portfolio.position("X", leg: $0) != 0 }.count : held == 0 ? 0 : 1
        if r.trades.filter({ $0.pnl == nil }).count != positions { fail("\(r.trades.filter { $0.pnl == nil }.count) open trades for \(positions) positions") }

        // Every fill on its bar's path; costs only against the trader, by the configured amount.
        let bars = c.fine ?? c.bars
        let step = c.fine == nil ? GeneratedCase.hour : GeneratedCase.hour / 4
        var firstFill: Set<Int> = []
        for f in r.fills {
            let o = r.orders[f.order]
            // The bar the fill happened in; a fill at the signal's close (`--fill close`)
            // happens as that bar ends, the instant the next one opens: either may be it.
            var candidates = bars.filter { $0.time <= f.time && f.time < $0.time + step }
            if x0.fill == .close, o.type == .market, f.time == o.sentAt, let closed = c.bars.last(where: { $0.time < f.time }) {
                candidates.append(Bar(time: closed.time, open: closed.close, high: closed.close, low: closed.close, close: closed.close,
                                      volume: closed.volume))
            }
            let first = firstFill.insert(f.order).inserted
            if f.liquidation {
                // At the mark (here the last price) where the liquidation price was reached, no costs.
                if !candidates.contains(where: { f.price >= $0.low - 1e-9 && f.price <= $0.high + 1e-9 }) {
                    fail("liquidation of order \(f.order) at \(f.price) is outside its bar")
                }
                continue
            }
            let problems = candidates.map { bar -> String? in
                if f.reference < bar.low - 1e-9 || f.reference > bar.high + 1e-9 {
                    return "fill of order \(f.order) at \(f.reference) is outside its bar \(bar.low)…\(bar.high)"
                }
                // A stop resting from before a bar that opens beyond it fills at the open.
                if first, o.type == .stop, let stop = o.stopPrice, (o.activatedAt ?? .max) < bar.time,
                   o.side == .sell ? bar.open <= stop : bar.open >= stop, f.reference != bar.open {
                    return "stop order \(o.id) gapped through at \(bar.open) but filled at \(f.reference)"
                }
                let maker = f.liquidity == .maker
                let cost = maker ? 0 : x0.halfSpread + x0.slippage.fraction(quantity: f.quantity, barVolume: bar.volume)
                let expected = f.reference * (1 + f.side.sign * cost)
                let tick = x0.tickSize ?? 0, eps = 1e-9 * max(1, expected)
                let against = f.side == .buy ? f.price - expected : expected - f.price
                if against < -eps || against > tick + eps { return "fill of order \(f.order): price \(f.price) from \(f.reference) with cost \(cost)" }
                return nil
            }
            if candidates.isEmpty { fail("fill of order \(f.order) at \(f.time) is in no bar") }
            if !problems.contains(where: { $0 == nil }), let p = problems.first ?? nil { fail(p) }
            let rate = f.liquidity == .maker ? x0.makerFee : x0.takerFee
            if abs(f.fee - abs(f.quantity * f.price) * rate) > 1e-12 * max(1, f.fee) { fail("fill of order \(f.order): fee \(f.fee)") }
            if !(f.quantity > 0) { fail("fill of order \(f.order) with quantity \(f.quantity)") }
        }

        // Orders: none live past its lifetime, none partly filled without a reason,
        // IOC and FOK never resting.
        let lastTime = c.bars.last!.time
        for o in r.orders {
            let live = !o.state.isTerminal && o.state != .pending
            if o.timeInForce == .gtd, let end = o.expireAt, end <= lastTime, live { fail("order \(o.id) lives past its expiry") }
            if o.state == .partiallyFilled, x0.participation == nil, o.displayQuantity == nil {
                fail("order \(o.id) is left partly filled with no volume cap")
            }
            if (o.timeInForce == .ioc || o.timeInForce == .fok), o.type == .market || o.type == .limit {
                if live { fail("\(o.timeInForce.rawValue) order \(o.id) rests") }
                if let on = o.history.first(where: { $0.state == .working })?.time, let end = o.history.last?.time,
                   o.state.isTerminal, end - on >= GeneratedCase.hour {
                    fail("\(o.timeInForce.rawValue) order \(o.id) was active from \(on) to \(end)")
                }
            }
        }
        // A trailing stop's level never moves against its position.
        var levels: [Int: Double] = [:]
        for (id, level) in b.exchange.trailTrace {
            if let last = levels[id], r.orders[id].side == .sell ? level < last : level > last {
                fail("trailing stop \(id) moved from \(last) to \(level)")
            }
            levels[id] = level
        }

        // The risk limits hold at every fill that adds exposure, and no entry fills while HALTED.
        if let risk = b.risk {
            // The account replayed fill by fill: spot cash, or a perpetual's wallet and
            // entry price (per leg in hedge mode).
            var cash = capital, legs: [PositionSide?: (q: Double, entry: Double)] = [:]
            var covered = (r.perp?.liquidations ?? []).map(\.insuranceFund)
            let perp = b.perp != nil
            for f in r.fills {
                // Judged at the market's price (the fill's reference), before costs.
                var (q, entry) = legs[f.leg] ?? (0, 0)
                let before = q
                let equity = perp ? legs.values.reduce(cash) { $0 + $1.q * (f.reference - $1.entry) } : cash + before * f.reference
                let signed = f.side.sign * f.quantity
                if perp {
                    if q == 0 || (q > 0) == (signed > 0) {
                        entry = (entry * abs(q) + f.price * f.quantity) / abs(q + signed)
                    } else {
                        cash += min(f.quantity, abs(q)) * (f.price - entry) * (q > 0 ? 1 : -1)
                        if abs(q + signed) < 1e-12 * max(1, abs(q)) { entry = 0 } else if (q + signed > 0) != (q > 0) { entry = f.price }
                    }
                    cash -= f.fee
                    if f.liquidation, !covered.isEmpty { cash += covered.removeFirst() }
                } else {
                    cash -= signed * f.price + f.fee
                }
                q += signed
                if abs(q) < 1e-12 * max(1, abs(before)) { q = 0 }
                legs[f.leg] = (q, entry)
                guard abs(q) > abs(before) * (1 + 1e-12) else { continue }
                let notional = abs(q) * f.reference, slack = 1e-9 * max(1, notional)
                for (limit, name) in [(risk.limits.maxPosition, "position"), (risk.limits.maxExposure, "exposure"), (risk.limits.maxLeverage, "leverage")] {
                    if let x = limit, notional > x * max(0, equity) + slack { fail("fill of order \(f.order) takes the \(name) to \(notional) of \(equity)") }
                }
            }
            var haltedFrom: Int64?
            for e in risk.events where e.decision == .state {
                if e.state == .halted { haltedFrom = e.time }
                if e.state == .active, let from = haltedFrom {
                    checkNoEntries(from, e.time)
                    haltedFrom = nil
                }
            }
            if let from = haltedFrom { checkNoEntries(from, .max) }
            func checkNoEntries(_ from: Int64, _ to: Int64) {
                // Fills in the bar where the halt happened may precede it.
                for f in r.fills where f.time >= from + GeneratedCase.hour && f.time < to && r.orders[f.order].tag.isEntry {
                    fail("entry order \(f.order) filled at \(f.time) while HALTED")
                }
            }
        }

        // Column mode (a batch's), with its quiet-bar path, gives the same bytes
        // as the per-bar interpreter. (Every other case.)
        guard c.seed % 2 == 0 else { return out }
        let provenance = Provenance(strategyFile: "g.strat", strategySHA256: "", irHash: s.hash, inputs: [], data: [], config: c.config)
        do {
            let columnar = try Backtest.run(s, data: [x], config: c.config, intrabar: fine, columns: ColumnCache())
            if Report.json(columnar, provenance) != Report.json(r, provenance) { fail("column mode gives other bytes") }
            // Without the report's details (as a batch runs): the same orders (with no
            // history of events), fills, trades, equity and metrics.
            let plain = try Backtest.run(s, data: [x], config: c.config, intrabar: fine, columns: ColumnCache(), details: false)
            if plain.orders.map(Self.outcome) != r.orders.map(Self.outcome) || plain.orders.contains(where: { !$0.history.isEmpty })
                || plain.fills != r.fills || plain.trades != r.trades || plain.equity != r.equity || plain.metrics != r.metrics {
                fail("column mode without details gives another result")
            }
            // Nor a curve (as a batch's point runs): the same metrics, and the daily
            // returns of the curve it did not keep.
            let lean = try Backtest.run(s, data: [x], config: c.config, intrabar: fine, columns: ColumnCache(), details: false, curve: false)
            if !lean.equity.isEmpty || lean.metrics != r.metrics || lean.trades != r.trades { fail("a run without its curve gives another result") }
            if lean.dailyReturns != Self.dailyReturns(r.equity) || r.dailyReturns != lean.dailyReturns {
                fail("daily returns \(lean.dailyReturns.prefix(3)) are not the curve's \(Self.dailyReturns(r.equity).prefix(3))")
            }
        } catch { fail("the run in column mode failed: \(error)") }

        // The same run again gives the same bytes; a symbol the strategy does not
        // trade (bars at the same times) changes nothing. (Every fourth case: these
        // take three times as long as the checks above.)
        guard c.seed % 4 == 0 else { return out }
        let y = BarSeries(symbol: "Y", bars: c.bars.map { Bar(time: $0.time, open: $0.open * 2, high: $0.high * 2, low: $0.low * 2,
                                                                 close: $0.close * 2, volume: $0.volume) })
        do {
            let again = try Backtest.run(s, data: [x], config: c.config, intrabar: fine)
            if Report.json(again, provenance) != Report.json(r, provenance) { fail("a second run gives other bytes") }
            let wider = try Backtest.run(s, data: [x, y], config: c.config, intrabar: fine)
            if wider.fills != r.fills || wider.orders != r.orders || wider.trades != r.trades || wider.equity != r.equity {
                fail("adding an untraded symbol changed the result")
            }
        } catch { fail("a repeated run failed: \(error)") }
        return out
    }
}

@Suite struct InvariantTests {
    /// 2,000 generated cases by default, in eight slices run in parallel;
    /// STRAT_INVARIANT_CASES=N runs N, STRAT_INVARIANT_SEED=S starts at seed S.
    static let cases = ProcessInfo.processInfo.environment["STRAT_INVARIANT_CASES"].flatMap(Int.init) ?? 2_000
    static let firstSeed = ProcessInfo.processInfo.environment["STRAT_INVARIANT_SEED"].flatMap(UInt64.init) ?? 1

    @Test(arguments: 0..<8)
    func everyRunKeepsTheInvariants(_ slice: Int) {
        var checked = 0
        for k in stride(from: slice, to: Self.cases, by: 8) {
            let c = GeneratedCase.make(seed: Self.firstSeed + UInt64(k))
            let broken = Invariants.violations(c)
            checked += 1
            guard !broken.isEmpty else { continue }
            // Shrink while an invariant still breaks (a variant that no longer compiles does not count).
            let small = c.shrunk { v in
                let broken = Invariants.violations(v)
                return !broken.isEmpty && !broken[0].hasPrefix("does not compile")
            }
            // STRAT_INVARIANT_DUMP=DIR writes the shrunk case as files to run with `strat backtest`.
            if let dir = ProcessInfo.processInfo.environment["STRAT_INVARIANT_DUMP"] { small.write(to: dir) }
            Issue.record("""
                invariants broken (seed \(c.seed)): \(broken.joined(separator: "; "))
                shrunk case: \(Invariants.violations(small).joined(separator: "; "))
                \(small)
                """)
            return
        }
        #expect(checked == (Self.cases - slice + 7) / 8)
    }

    /// The generator reaches what it is meant to: every order type, time in
    /// force, fills of each kind, brackets, trails, partial fills, shorts,
    /// liquidations, margin calls and borrow interest.
    @Test func theGeneratedCasesCoverTheEngine() throws {
        var types: Set<StratEngine.OrderType> = [], tifs: Set<StratEngine.TimeInForce> = [], states: Set<OrderState> = [], liquidity: Set<Liquidity> = []
        var shortFills = 0, ambiguous = 0, intrabar = 0, liquidations = 0, bothLegs = 0, marginCalls = 0, interest = 0
        for seed in 1...300 as ClosedRange<UInt64> {
            let c = GeneratedCase.make(seed: seed)
            let ir = try #require(Compiler.compile(SourceFile(name: "g.strat", text: c.source)).ir?.strategies.first)
            let r = try Backtest.run(ir, data: [BarSeries(symbol: "X", bars: c.bars)], config: c.config,
                                     intrabar: c.fine.map { [BarSeries(symbol: "X", bars: $0)] } ?? [])
            for o in r.orders { types.insert(o.type); tifs.insert(o.timeInForce); states.insert(o.state) }
            for f in r.fills { liquidity.insert(f.liquidity); if f.positionAfter < 0 { shortFills += 1 } }
            liquidations += r.perp?.liquidations.count ?? 0
            marginCalls += r.margin?.marginCalls.count ?? 0
            if (r.margin?.interest ?? 0) > 0 { interest += 1 }
            // Hedge mode: a long and a short trade open at the same moment.
            let open = r.trades.map { ($0.entryTime, $0.exitTime ?? .max, $0.side) }
            if open.contains(where: { a in a.2 == "long" && open.contains { b in b.2 == "short" && b.0 < a.1 && a.0 < b.1 } }) { bothLegs += 1 }
            ambiguous += r.metrics.ambiguousBars
            if c.fine != nil, !r.fills.isEmpty { intrabar += 1 }
        }
        #expect(types == [.market, .limit, .stop, .stopLimit, .trailingStop])
        #expect(tifs == [.gtc, .ioc, .fok, .day, .gtd])
        #expect(states.isSuperset(of: [.filled, .cancelled, .rejected, .expired, .partiallyFilled, .working]))
        #expect(liquidity == [.maker, .taker])
        #expect(shortFills > 0 && ambiguous > 0 && intrabar > 0)
        #expect(liquidations > 0 && bothLegs > 0, "\(liquidations) liquidations, \(bothLegs) runs with both legs")
        #expect(marginCalls > 0 && interest > 0, "\(marginCalls) margin calls, \(interest) runs paying interest")
    }
}

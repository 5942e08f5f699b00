import Foundation
import StratBacktest
import StratEngine
import StratIR
import StratMarket
import StratSyntax
import Testing
import StratTestSupport

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func path(_ p: String) -> String { repoRoot.appendingPathComponent(p).path }

func compileStrategy(_ file: String) throws -> IRStrategy {
    let text = try String(contentsOfFile: path(file), encoding: .utf8)
    let r = Compiler.compile(SourceFile(name: file, text: text))
    return try #require(r.ir?.strategies.first, "\(r.diagnostics.map(\.message))")
}

func csvRows(_ file: String) throws -> [[String: String]] {
    let lines = try String(contentsOfFile: path(file), encoding: .utf8).split(separator: "\n").map(String.init)
    let header = lines[0].split(separator: ",").map(String.init)
    return lines.dropFirst().map { line in
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return Dictionary(uniqueKeysWithValues: zip(header, cells))
    }
}

/// backtesting.py's SmaCross on GOOG (Data/golden/make_smacross_reference.py):
/// the same trades, the same equity on every bar, the same final equity.
@Suite struct ReferenceTests {
    static let goog = try! BarCSV.read(path: path("Data/GOOG.csv"), symbol: "GOOG")

    func run(fill: FillTiming) throws -> BacktestResult {
        var c = BacktestConfig()
        c.capital = 10_000
        c.execution.lotSize = 1
        c.execution.fill = fill
        return try Backtest.run(try compileStrategy("Strategies/sma_cross.strat"), data: [Self.goog], config: c)
    }

    @Test func sameTradesAsBacktestingPy() throws {
        let r = try run(fill: .nextOpen)
        let expected = try csvRows("Data/golden/goog_smacross_trades.csv")
        #expect(r.trades.count == 33)
        #expect(r.metrics.nTrades == 32 && r.metrics.nOpenTrades == 1)
        for (t, e) in zip(r.trades, expected) {
            #expect(UTCTime.format(t.entryTime) == e["entry_time"])
            #expect(t.entryPrice == Double(e["entry_price"]!))
            #expect(t.qty == Double(e["qty"]!))
            #expect(t.exitTime.map(UTCTime.format) ?? "" == e["exit_time"])
            #expect(t.exitPrice.map { "\($0)" } ?? "" == e["exit_price"].map { $0.isEmpty ? "" : "\(Double($0)!)" })
            if let pnl = t.pnl { #expect(abs(pnl - Double(e["pnl"]!)!) < 1e-9) }
            #expect(t.entryLine == 14)
            #expect(t.exitLine == (t.exitTime == nil ? nil : 17))
        }
        #expect(abs(r.metrics.finalEquity - 57_752.99) < 1e-6)
    }

    /// Per-bar equity against backtesting.py (Data/goog_smacross_equity.csv), both fill timings.
    @Test(arguments: [(FillTiming.nextOpen, "equity_next_open", 57_752.99), (.close, "equity_close", 63_328.77)])
    func sameEquityOnEveryBar(_ fill: FillTiming, _ column: String, _ final: Double) throws {
        let r = try run(fill: fill)
        let expected = try csvRows("Data/goog_smacross_equity.csv")
        #expect(r.equity.count == expected.count)
        for (p, e) in zip(r.equity, expected) {
            #expect(UTCTime.format(p.time) == e["time"])
            #expect(abs(p.equity - Double(e[column]!)!) < 1e-6, "\(e["time"]!): \(p.equity) vs \(e[column]!)")
        }
        #expect(abs(r.metrics.finalEquity - final) < 0.005)
    }

    /// Metrics of that equity curve against empyrical (Data/golden/make_metrics_reference.py).
    @Test func metricsMatchEmpyrical() throws {
        var c = BacktestConfig()
        c.execution.lotSize = 1
        c.periodsPerYear = 252
        let m = try Backtest.run(try compileStrategy("Strategies/sma_cross.strat"), data: [Self.goog], config: c).metrics
        let got: [String: Double?] = ["total_return": m.totalReturn, "cagr": m.cagr, "annual_volatility": m.annualVolatility,
                                      "sharpe": m.sharpe, "sortino": m.sortino, "max_drawdown": m.maxDrawdown, "calmar": m.calmar]
        for row in try csvRows("Data/golden/goog_smacross_metrics.csv") {
            let e = Double(row["value"]!)!, g = try #require(got[row["metric"]!] ?? nil)
            #expect(abs(g - e) <= 1e-9 * abs(e), "\(row["metric"]!): \(g) vs empyrical \(e)")
        }
        #expect(m.winRate == 17.0 / 32 && m.nTrades == 32)
    }

    @Test func sameInputsGiveByteIdenticalJSON() throws {
        /// A fresh compile and run each time.
        func once() throws -> (BacktestResult, Provenance) {
            let s = try compileStrategy("Strategies/sma_cross.strat")
            var c = BacktestConfig()
            c.execution.lotSize = 1
            c.execution.takerFee = 0.001
            let r = try Backtest.run(s, data: [Self.goog], config: c)
            let p = Provenance(strategyFile: "sma_cross.strat", strategySHA256: "x", irHash: s.hash, inputs: [("fast", 10), ("slow", 30)],
                               data: [.init(symbol: "GOOG", path: "GOOG.csv", sha256: "y", rows: 2148)], config: c)
            return (r, p)
        }
        let first = try once(), second = try once()
        let a = Report.json(first.0, first.1)
        #expect(a == Report.json(second.0, second.1))
        // Streamed to a file, the same bytes.
        let file = scratchDirectory.appendingPathComponent("strat-\(UUID().uuidString).json").path
        try Report.writeJSON(second.0, second.1, to: file)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == a)
        let object = try JSONSerialization.jsonObject(with: a) as! [String: Any]
        // Issue 16 appended source_lines, signals and chart after the provenance.
        #expect(Set(object.keys) == ["strategy", "symbols", "metrics", "trades", "orders", "fills", "equity", "warnings", "provenance",
                                     "source_lines", "signals", "chart"])
        let m = object["metrics"] as! [String: Any]
        for key in ["final_equity", "total_return", "cagr", "sharpe", "sortino", "max_drawdown", "n_trades", "win_rate", "profit_factor", "fees"] {
            #expect(m[key] != nil, "metrics.\(key)")
        }
        let trades = object["trades"] as! [[String: Any]]
        #expect(trades.last!["exit_time"] is NSNull && trades.last!["exit_price"] is NSNull)
        #expect(Set(trades[0].keys).isSuperset(of: ["symbol", "side", "qty", "entry_time", "entry_price", "exit_time", "exit_price", "pnl", "fees"]))
    }

    /// The equity text made during the run (in 32,768-point chunks on another
    /// thread, as the CLI does) is byte for byte the text made afterwards.
    @Test func equityTextDuringTheRunIsTheSameJSON() throws {
        var s = try compileStrategy("Strategies/sma_cross.strat")
        s.timeframe = nil
        let data = BarSeries.randomWalk(count: 100_000, seed: 3)
        var c = BacktestConfig()
        c.execution.lotSize = 1
        let p = Provenance(strategyFile: "sma_cross.strat", strategySHA256: "x", irHash: s.hash, inputs: [],
                           data: [], config: c)
        let dir = scratchDirectory
        let after = dir.appendingPathComponent("strat-\(UUID().uuidString).json"), during = dir.appendingPathComponent("strat-\(UUID().uuidString).json")
        try Report.writeJSON(try Backtest.run(s, data: [data], config: c), p, to: after.path)
        let text = EquityText()
        try Report.writeJSON(try Backtest.run(s, data: [data], config: c, equityText: text), p, to: during.path, equity: text)
        #expect(text.received == 100_000)
        let a = try Data(contentsOf: after), b = try Data(contentsOf: during)
        #expect(a.count > 5_000_000 && a == b)
    }
}

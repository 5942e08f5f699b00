import Foundation
import StratBacktest
import StratBatch
import StratData
import StratRun
import StratSyntax
import Testing
import StratTestSupport

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let googPath = repoRoot.appendingPathComponent("Data/GOOG.csv").path

func smaCross() throws -> SourceFile {
    let path = repoRoot.appendingPathComponent("Strategies/sma_cross.strat").path
    return SourceFile(name: "Strategies/sma_cross.strat", text: try String(contentsOfFile: path, encoding: .utf8))
}

func lots() -> BacktestOptions {
    var o = BacktestOptions()
    o.lotSize = 1
    return o
}

/// The error `body` throws (nil: none).
func runError(_ body: () throws(RunError) -> Void) -> RunError? {
    do throws(RunError) { try body(); return nil } catch { return error }
}

@Suite struct PreparedRunTests {
    @Test func csvTextGivesTheFilesResultBytesButForItsName() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: googPath))
        func json(_ input: DataInput) throws -> String {
            let p = try PreparedRun.prepare(source: try smaCross(), data: [input], options: lots())
            return String(decoding: try p.resultJSON(try p.run(p.config)), as: UTF8.self)
        }
        let fromFile = try json(.file(symbol: "GOOG", path: googPath))
        #expect(try json(.csv(symbol: "GOOG", name: googPath, bytes: bytes)) == fromFile)
        // Another name: only the provenance's path differs (the hash is of the same bytes).
        let named = try json(.csv(symbol: "GOOG", name: "upload.csv", bytes: bytes))
        #expect(named != fromFile)
        #expect(fromFile.components(separatedBy: "\"\(googPath)\"").count == 2)
        #expect(named == fromFile.replacingOccurrences(of: "\"\(googPath)\"", with: "\"upload.csv\""))
    }

    /// `resultJSON` is what `strat backtest --json` streams to its file (with the equity text made during the run).
    @Test func resultJSONIsTheBacktestsJSONFile() throws {
        let p = try PreparedRun.prepare(source: try smaCross(), data: [.file(symbol: "GOOG", path: googPath)], options: lots())
        let equity = EquityText()
        let r = try p.run(p.config, equityText: equity)
        let file = scratchDirectory.appendingPathComponent("strat-run-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Report.writeJSON(r, try p.provenance(p.config), to: file.path, equity: equity)
        #expect(try Data(contentsOf: file) == (try p.resultJSON(try p.run(p.config))))
    }

    @Test func reportsTheCompilersWarningsAndThrowsItsErrors() throws {
        let bad = SourceFile(name: "bad.strat", text: "strategy Bad {\n  market spot\n  let x = close + volume\n}\n")
        let e = runError { () throws(RunError) in _ = try PreparedRun.prepare(source: bad, data: [.file(symbol: "GOOG", path: googPath)], options: lots()) }
        #expect(e?.code == "strategy-errors")
        guard case .strategy(let diagnostics, let file)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(file === bad)
        #expect(diagnostics.contains { $0.severity == .error })
        #expect(e!.description.contains("bad.strat:3:17: error[E0301]: can't add Price and Volume"))
    }

    @Test func aBadCSVRowIsADataErrorNamingItsRowAndField() {
        let csv = "time,open,high,low,close,volume\n2020-01-01,1,2,0.5,1.5,100\n2020-01-02,1,lots,0.5,1.5,100\n"
        let e = runError { () throws(RunError) in
            _ = try PreparedRun.prepare(source: try! smaCross(), data: [.csv(symbol: "GOOG", name: "upload.csv", bytes: Data(csv.utf8))], options: lots())
        }
        #expect(e?.code == "data-error")
        guard case .data(let defect)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(defect.file == "upload.csv" && defect.line == 3 && defect.field == "high")
        #expect(e!.description.hasPrefix("upload.csv:3: field `high`: "))
    }

    @Test func aMissingFileAndAnUnknownStoredSeries() throws {
        let missing = runError { () throws(RunError) in
            _ = try PreparedRun.prepare(source: try! smaCross(), data: [.file(symbol: "GOOG", path: "/nonexistent/goog.csv")], options: lots())
        }
        #expect(missing?.code == "no-such-file")
        #expect(missing?.description == "/nonexistent/goog.csv: no such file")

        let db = scratchDirectory.appendingPathComponent("strat-run-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        _ = try Store(path: db)
        let unknown = runError { () throws(RunError) in
            _ = try PreparedRun.prepare(source: try! smaCross(), data: [.stored(symbol: "GOOG", spec: "1d")], options: lots(), store: .sqlite(path: db))
        }
        #expect(unknown?.code == "unknown-series")
        #expect(unknown?.description == "no bars stored for GOOG 1d; see `strat data list`")
        let none = runError { () throws(RunError) in
            _ = try PreparedRun.prepare(source: try! smaCross(), data: [.allStored(spec: "1d")], options: lots(), store: .sqlite(path: db))
        }
        #expect(none?.code == "unknown-series")
    }

    @Test func inputOverridesAreChecked() {
        var o = lots()
        o.set = ["fast=500"]
        let e = runError { () throws(RunError) in
            _ = try PreparedRun.prepare(source: try! smaCross(), data: [.file(symbol: "GOOG", path: googPath)], options: o)
        }
        #expect(e?.code == "invalid-input")
        #expect(e?.description == "--set fast: 500 is outside the declared range 5...60 of input `fast`")
    }
}

@Suite struct SweepTests {
    /// Points split into two index ranges, each result through its JSON (as a
    /// worker stores it), give the report of one run over all of them.
    @Test func aSweepSplitInTwoGivesTheSameReport() throws {
        let p = try PreparedRun.prepare(source: try smaCross(), data: [.file(symbol: "GOOG", path: googPath)], options: lots())
        let spec = SweepSpec(grid: ["fast=5...20:5", "slow=20...40:10"], vary: ["fees=0,10"], where_: "fast < slow")
        let sweep = try p.sweep(spec)
        // 4 × 3 × 2, less fast=20 slow=20 with either fees.
        #expect(sweep.points.count == 22 && sweep.configs.count == 22 && sweep.seed == nil)
        func results(_ range: Range<Int>) throws -> [PointResult] {
            try range.map { i in PointResult(point: sweep.points[i], result: try p.run(sweep.configs[i], details: false), keepEquity: false) }
        }
        let whole = sweep.reportJSON(try results(0..<22))
        // Another process makes the same sweep from the same spec.
        let again = try p.sweep(spec)
        let stored = try (results(0..<10) + (try results(10..<22).map { try $0.json() }.map { try PointResult(json: $0) }))
        #expect(again.points == sweep.points && again.configs == sweep.configs)
        #expect(again.reportJSON(stored) == whole)
        #expect(whole.contains("\"rows\": [") && whole.contains("\"kind\": \"batch\""))
    }

    @Test func randomPointsFollowTheSeed() throws {
        let p = try PreparedRun.prepare(source: try smaCross(), data: [.file(symbol: "GOOG", path: googPath)], options: lots())
        let a = try p.sweep(SweepSpec(random: 8, seed: 42)), b = try p.sweep(SweepSpec(random: 8, seed: 42))
        #expect(a.points.count == 8 && a.points == b.points && a.seed == 42)
        let drawn = try p.sweep(SweepSpec(random: 8))
        #expect(drawn.seed != nil)
    }

    @Test func badSweepsAreTypedErrors() throws {
        let p = try PreparedRun.prepare(source: try smaCross(), data: [.file(symbol: "GOOG", path: googPath)], options: lots())
        for (spec, code, message) in [
            (SweepSpec(), "invalid-option", "give the points: --grid NAME=A...B[:STEP] (repeatable) or --random N"),
            (SweepSpec(grid: ["fast=5,6"], objective: "luck"), "invalid-option",
             "--objective must be one of sharpe, sortino, calmar, cagr, total_return, final_equity, profit_factor, win_rate, max_drawdown, trades, exposure, got `luck`"),
            (SweepSpec(grid: ["fast=5,6"], vary: ["fees=5,20000"]), "invalid-point",
             "--vary fees=20000: --fees must be basis points from 0 to less than 10000, got 20000"),
            (SweepSpec(grid: ["fast=5,6", "fast=7"]), "invalid-point", "fast is varied twice; give each input or setting once"),
            (SweepSpec(grid: ["fast=5,6"], where_: "fast > 10"), "invalid-point", "no point is left where `fast > 10` holds"),
        ] {
            let e = runError { () throws(RunError) in _ = try p.sweep(spec) }
            #expect(e?.code == code)
            #expect(e?.description == message)
        }
    }
}

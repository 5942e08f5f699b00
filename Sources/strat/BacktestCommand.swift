import ArgumentParser
import Foundation
import StratBacktest
import StratData
import StratEngine
import StratIR
import StratMarket
import StratReport
import StratRun
import StratRuntime
import StratSema
import StratSyntax

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Run a strategy over CSV bars and report trades, equity and metrics.",
        discussion: """
            Market orders fill at the next bar's open (--fill close: at the signal bar's close). \
            Stops and limits trigger along the bar's path O→H→L→C (high nearer the open) or O→L→H→C. \
            Exit status: 0 success, 1 the strategy has errors, 2 usage, I/O or data error.
            """)

    @OptionGroup var options: RunOptions

    @Option(help: "Write the full result as JSON here.")
    var json: String?

    @Option(help: "Write the trades as CSV here.")
    var trades: String?

    @Option(help: "Write the equity curve as CSV here.")
    var equity: String?

    @Option(help: "Write the HTML report here (Docs/Reports.md).")
    var html: String?

    func run() throws {
        try withUsageErrors {
            try checkOutputs([("--json", json), ("--trades", trades), ("--equity", equity), ("--html", html)].compactMap { o, p in p.map { (o, $0) } },
                             inputs: try options.inputFiles())
            let prepared = try options.prepare()
            let equityText = json == nil ? nil : EquityText()
            let r = try prepared.run(prepared.config, equityText: equityText)
            for w in r.warnings { writeStderr("strat: warning: \(w)\n") }
            for n in r.notices.lines { writeStderr("strat: note: \(n)\n") }
            if let json {
                let provenance = try prepared.provenance(prepared.config)
                do { try Report.writeJSON(r, provenance, to: json, equity: equityText) } catch {
                    throw UsageError(description: "--json \(json): cannot write: \(posixReason(error))")
                }
            }
            if let trades { try writeOutput(Data(Report.tradesCSV(r).utf8), to: trades, option: "--trades") }
            if let equity { try writeOutput(Report.equityCSV(r), to: equity, option: "--equity") }
            if let html {
                let doc: ReportDocument
                do { doc = try ReportDocument(r, try prepared.provenance(prepared.config)) } catch let e as ReportError {
                    throw UsageError(description: "--html: internal error reading the result back: \(e.description)")
                }
                try writeOutput(Data(HTMLReport.render(doc).utf8), to: html, option: "--html")
            }
            print(Report.summary(r), terminator: "")
        }
    }
}

/// What `strat backtest` and `strat batch` share: the strategy, its data and
/// the engine's options, checked and loaded once by `prepare()`.
struct RunOptions: ParsableArguments {
    @Argument(help: "A strategy file (.strat).")
    var strategy: String

    @Option(name: .customLong("strategy-name"), help: "Which strategy of the file to run (when it declares several).")
    var strategyName: String?

    @Option(help: "SYMBOL=FILE.csv (repeatable); FILE.csv alone takes its file name as the symbol; SYMBOL=db:INTERVAL[:MARKET[:SOURCE]] reads the store; *=db:INTERVAL takes every stored symbol.")
    var data: [String]

    /// The store for db: data: --db FILE, --postgres URL (or $STRAT_POSTGRES).
    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("min-quality"), parsing: .unconditional, help: "Warn when stored data scores below this (0–100).")
    var minQuality = 80.0

    @Flag(help: "Refuse to run on stored data that scores below --min-quality or has bars flagged for OHLC integrity.")
    var strict = false

    @Option(help: "Back-adjust stored equity data for corporate actions: none, splits or all.")
    var adjust = Adjustment.none

    @Option(help: "SYMBOL=FILE.csv of finer bars (e.g. 1m inside 1h): orders meet them in order instead of each bar's O→H→L→C path.")
    var intrabar: [String] = []

    @Option(help: "SYMBOL=FILE.csv of order-book snapshots (time,side,price,quantity): taker orders walk the latest book's levels.")
    var depth: [String] = []

    @Option(help: "SYMBOL=FILE.csv of a perpetual's mark-price bars (the traded bars' length and times); stored perp data brings its own (repeatable).")
    var mark: [String] = []

    @Option(help: "SYMBOL=FILE.csv of a perpetual's funding rates: time,rate[,mark]; stored perp data brings its own (repeatable).")
    var funding: [String] = []

    @Option(help: "Leverage brackets (a file of Binance's leverageBracket answer) for the symbols it names; else the store's, else the ones shipped for BTCUSDT and ETHUSDT.")
    var brackets: String?

    @Option(name: .customLong("liquidation-fee"), parsing: .unconditional, help: "Liquidation (clearance) fee in bps of the notional at the liquidation price, for every symbol (default: the brackets' rate per symbol).")
    var liquidationFee: Double?

    @Option(name: .customLong("borrow-rate"), parsing: .unconditional, help: "Spot margin: yearly interest on shorted (borrowed) value, in percent, charged hourly (default 0).")
    var borrowRate: Double?

    @Option(name: .customLong("maintenance-margin"), parsing: .unconditional, help: "Spot margin: equity kept against the shorts, in percent of their value, below which they are bought back (default 30, FINRA's; 0: never).")
    var maintenanceMargin: Double?

    @OptionGroup var time: TimeUnitOption

    @Option(name: .customLong("set"), help: "NAME=VALUE: override an input (checked against its type and range).")
    var sets: [String] = []

    @Option(parsing: .unconditional, help: "Starting cash in the quote currency.")
    var capital = 10_000.0

    @Option(help: "Trade from this date or time (UTC); the bars before it only warm the indicators up.")
    var from: String?

    @Option(parsing: .unconditional, help: "Fees in basis points of traded value, maker and taker alike (default: 0 on spot; 2 maker / 5 taker on perpetuals).")
    var fees: Double?

    @Option(name: .customLong("maker-fees"), parsing: .unconditional, help: "Maker fees in bps (overrides --fees for resting limit orders).")
    var makerFees: Double?

    @Option(name: .customLong("taker-fees"), parsing: .unconditional, help: "Taker fees in bps (overrides --fees for market, stop and marketable orders).")
    var takerFees: Double?

    @Option(help: "Slippage on taker fills: none, fixed:BPS, linear:K (K × participation), sqrt:K (K × √participation).")
    var slippage = "none"

    @Option(name: .customLong("half-spread"), parsing: .unconditional, help: "Half the bid–ask spread in bps, used when the data has no bid/ask columns.")
    var halfSpread = 0.0

    @Option(help: "When market orders fill: next-open or close.")
    var fill = "next-open"

    @Option(name: .customLong("lot-size"), parsing: .unconditional, help: "Quantities are whole multiples of this (1: whole shares).")
    var lotSize: Double?

    @Option(name: .customLong("tick-size"), parsing: .unconditional, help: "Prices are whole multiples of this.")
    var tickSize: Double?

    @Option(parsing: .unconditional, help: "Milliseconds between sending an order and its being active.")
    var latency: Int64 = 0

    @Option(parsing: .unconditional, help: "At most this percentage of a bar's volume fills per bar; the rest carries over.")
    var participation: Double?

    @Option(help: "Trading hours: 24/7 (default) or e.g. 'Mon-Fri 14:30-21:00' (UTC).")
    var session = "24/7"

    @Option(help: "A file of holidays, one YYYY-MM-DD per line.")
    var holidays: String?

    @Option(name: .customLong("periods-per-year"), parsing: .unconditional, help: "Bars per year for annualised metrics (default: estimated from the data).")
    var periodsPerYear: Double?

    /// The options as the library takes them: the one place flags map to them.
    var backtest: BacktestOptions {
        var o = BacktestOptions()
        o.capital = capital
        o.from = from
        o.fees = fees
        o.makerFees = makerFees
        o.takerFees = takerFees
        o.slippage = slippage
        o.halfSpread = halfSpread
        o.fill = fill
        o.lotSize = lotSize
        o.tickSize = tickSize
        o.latency = latency
        o.participation = participation
        o.session = session
        o.holidays = holidays
        o.periodsPerYear = periodsPerYear
        o.minQuality = minQuality
        o.strict = strict
        o.adjust = adjust
        o.intrabar = intrabar
        o.depth = depth
        o.mark = mark
        o.funding = funding
        o.brackets = brackets
        o.liquidationFee = liquidationFee
        o.borrowRate = borrowRate
        o.maintenanceMargin = maintenanceMargin
        o.timeUnit = time.timeUnit
        o.set = sets
        o.strategyName = strategyName
        return o
    }

    func validate() throws {
        try validating { () throws(RunError) in try backtest.validate() }
    }

    /// Compiles the strategy (its diagnostics printed; errors: exit status 1),
    /// reads and checks every input, and builds the configuration.
    func prepare() throws -> PreparedRun {
        let source = try readSource(strategy)
        do {
            return try PreparedRun.prepare(source: source, data: data.map(DataInput.parse), options: backtest, store: store.named, report: printMessage)
        } catch .strategy(let diagnostics, let file) {
            renderDiagnostics(diagnostics, file)
            throw ExitCode(1)
        }
    }

    /// Every file the run reads, which no output may overwrite.
    func inputFiles() throws -> [(what: String, path: String)] {
        var files: [(String, String)] = [("the strategy", strategy)]
        var readsStore = false
        for spec in data {
            switch try DataInput.parse(spec) {
            case .file(let symbol, let path): files.append(("the --data file of \(symbol)", path))
            default: readsStore = true
            }
        }
        if readsStore, let file = store.file { files.append(("the store", file)) }
        let what = ["intrabar": "an --intrabar file", "depth": "a --depth file", "mark": "a --mark file", "funding": "a --funding file",
                    "brackets": "the --brackets file", "holidays": "the --holidays file"]
        files += backtest.filePaths.map { (what[$0.option] ?? $0.option, $0.path) }
        return files
    }
}

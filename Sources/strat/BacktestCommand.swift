import ArgumentParser
import Foundation
import StratBacktest
import StratData
import StratEngine
import StratIR
import StratMarket
import StratReport
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

    @Option(help: "The SQLite store for db: data (default: $STRAT_DB or ~/.strat/strat.db).")
    var db: String?

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

    func validate() throws {
        try checkOption("--capital", capital, from: 0, above: true, to: OptionLimits.maxCapital)
        for (name, v) in [("--fees", fees), ("--maker-fees", makerFees), ("--taker-fees", takerFees), ("--half-spread", halfSpread)] {
            try checkOption(name, v, from: 0, to: OptionLimits.maxBps, below: true, unit: "basis points")
        }
        guard let slip = Slippage(parsing: slippage) else {
            throw ValidationError("--slippage must be none, fixed:BPS, linear:K or sqrt:K, got `\(slippage)`")
        }
        switch slip {
        case .none: break
        case .fixedBps(let v): try checkOption("--slippage fixed:BPS", v, from: 0, to: OptionLimits.maxBps, below: true, unit: "basis points")
        case .linear(let k), .squareRoot(let k): try checkOption("--slippage's K", k, from: 0, to: OptionLimits.maxSlippageK)
        }
        try checkOption("--latency", latency, from: 0, to: OptionLimits.maxLatency, unit: "milliseconds")
        try checkOption("--participation", participation, from: 0, above: true, to: 100, unit: "a percentage")
        try checkOption("--lot-size", lotSize, from: 0, above: true, to: OptionLimits.maxStep)
        try checkOption("--tick-size", tickSize, from: 0, above: true, to: OptionLimits.maxStep)
        try checkOption("--periods-per-year", periodsPerYear, from: 0, above: true, to: OptionLimits.maxPeriodsPerYear)
        try checkOption("--min-quality", minQuality, from: 0, to: 100, unit: "a score")
        try checkOption("--liquidation-fee", liquidationFee, from: 0, to: OptionLimits.maxBps, below: true, unit: "basis points")
        try checkOption("--borrow-rate", borrowRate, from: 0, to: OptionLimits.maxBorrowRate, unit: "a yearly percentage")
        try checkOption("--maintenance-margin", maintenanceMargin, from: 0, to: 100, below: true, unit: "a percentage")
    }

    /// Compiles the strategy, reads and checks every input, and builds the
    /// configuration; the data files are hashed on the other core meanwhile.
    func prepare() throws -> PreparedRun {
        do {
            let source = try readSource(strategy)
            let result = Compiler.compile(source)
            renderDiagnostics(result.diagnostics, source)
            guard let ir = result.ir else { throw ExitCode(1) }
            let s = try pick(ir)
            var config = BacktestConfig()
            config.capital = capital
            config.execution = try execution(market: s.market.kind)
            config.periodsPerYear = periodsPerYear
            config.inputs = try parseSets(s)
            if let from {
                guard let t = UTCTime.parse(Substring(from)) else {
                    throw UsageError(description: "--from \(from): expected a date or time like 2010-01-04 or 2010-01-04T14:30:00Z")
                }
                config.tradeFrom = t
            }
            if borrowRate != nil || maintenanceMargin != nil {
                guard s.market.kind == .spot, s.market.margin != .none else {
                    let option = borrowRate != nil ? "--borrow-rate" : "--maintenance-margin"
                    throw UsageError(description: "\(option) applies to spot margin shorts (`market spot(margin: true)`); \(strategy) trades \(s.market.kind == .perp ? "perpetual futures" : "spot without margin")")
                }
                config.borrowRate = (borrowRate ?? 0) / 100
                config.shortMaintenance = maintenanceMargin.map { $0 > 0 ? $0 / 100 : nil } ?? SpotPortfolio.finraMaintenance
            }
            var provenanceData: [Provenance.DataFile] = []
            var storedKeys: [String: (key: SeriesKey, finer: SeriesKey?)] = [:]
            var series: [BarSeries] = []
            var files: [Data] = []
            // The store is opened once, and only if some --data reads it.
            let readsStore = try data.contains { spec in
                let path = try parseData(spec).1
                return path == "db" || path.hasPrefix("db:")
            }
            let stored = readsStore ? try openStore(db, readOnly: true) : nil
            for spec in try expandStored(data, stored) {
                let (symbol, path) = try parseData(spec)
                if path == "db" || path.hasPrefix("db:") {
                    let timeframe = s.timeframe.map { BarLength.milliseconds($0 * 1000) } ?? s.timeframeMonths.map(BarLength.months)
                    let (bars, bytes, rules, origin) = try fromStore(stored!, symbol: symbol, spec: String(path.dropFirst(path == "db" ? 2 : 3)), timeframe: timeframe)
                    series.append(bars)
                    storedKeys[symbol] = origin
                    if var rules {
                        // --lot-size and --tick-size, when given, apply to every symbol.
                        if lotSize != nil { rules.lotSize = nil }
                        if tickSize != nil { rules.tickSize = nil }
                        config.execution.instruments[symbol] = rules
                    }
                    provenanceData.append(.init(symbol: symbol, path: "\(stored!.path)#\(path)", sha256: "", rows: bars.bars.count))
                    files.append(bytes)
                    continue
                }
                let bytes: Data
                do {
                    bytes = try BarCSV.load(path: path)
                    series.append(try BarCSV.parse(data: bytes, file: path, symbol: symbol, timeUnit: time.timeUnit))
                } catch let e as BarCSV.Error {
                    throw UsageError(description: e.description)
                }
                provenanceData.append(.init(symbol: symbol, path: path, sha256: "", rows: series.last!.bars.count))
                files.append(bytes)
            }
            var books: [String: [BookSnapshot]] = [:]
            for spec in depth {
                let (symbol, path) = try parseData(spec)
                do {
                    let bytes = try BarCSV.load(path: path)
                    let book = try DepthCSV.parse(String(decoding: bytes, as: UTF8.self), file: path)
                    books[symbol] = book
                    provenanceData.append(.init(symbol: "\(symbol) (order book)", path: path, sha256: "", rows: book.count))
                    files.append(bytes)
                } catch let e as BarCSV.Error { throw UsageError(description: e.description) }
            }
            let perpFiles = try loadPerpFiles(s, &provenanceData, &files)
            // The data files' hashes are computed on the other core while the backtest runs.
            let hashing = DataHashes(files)
            if let twice = series.map(\.symbol).enumerated().first(where: { i, s in series[..<i].contains { $0.symbol == s } }) {
                throw UsageError(description: "the symbol \(twice.element) is given twice in --data (\(data.filter { (try? parseData($0).0) == twice.element }.joined(separator: " and "))); give each symbol once")
            }
            // A strategy without a universe, or with one symbol, runs on the one symbol the data gives.
            var renamed: [String: String] = [:]
            if s.universe.count == 1, series.count == 1, series[0].symbol != s.universe[0] {
                config.execution.instruments[s.universe[0]] = config.execution.instruments.removeValue(forKey: series[0].symbol)
                renamed[series[0].symbol] = s.universe[0]
                storedKeys[s.universe[0]] = storedKeys.removeValue(forKey: series[0].symbol)
                series[0].symbol = s.universe[0]
                provenanceData[0].symbol = s.universe[0]
            }
            let perp = try perpData(s, series: series, files: perpFiles, renamed: renamed, storedKeys: storedKeys, store: stored)
            var fine: [BarSeries] = []
            for spec in intrabar {
                let (symbol, path) = try parseData(spec)
                do { fine.append(try BarCSV.read(path: path, symbol: symbol, timeUnit: time.timeUnit)) } catch let e as BarCSV.Error {
                    throw UsageError(description: e.description)
                }
            }
            // Found once here, not once per run of a batch.
            series = series.map { $0.measured() }
            return PreparedRun(source: source, strategyFile: strategy, strategy: s, series: series, config: config, intrabar: fine,
                               depth: books, perp: perp, data: provenanceData, hashes: hashing)
        }
    }

    /// `*=db:INTERVAL[:MARKET[:SOURCE]]`: every symbol stored at that interval (the
    /// candidates of a dynamic universe, delisted ones included).
    func expandStored(_ specs: [String], _ store: Store?) throws -> [String] {
        try specs.flatMap { spec -> [String] in
            guard spec.hasPrefix("*=db:") else { return [spec] }
            let parts = spec.dropFirst(5).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard let length = parts.first.flatMap(BarLength.init(parsing:)), let store else {
                throw UsageError(description: "--data \(spec): expected *=db:INTERVAL[:MARKET[:SOURCE]], the INTERVAL \(BarLength.syntax)")
            }
            // Left out, the market and source are any (each symbol then resolves to its one stored series).
            let market = parts.count > 1 ? parts[1] : nil, source = parts.count > 2 ? parts[2] : nil
            let symbols = Set(try store.list().filter { $0.key.length == length && (market ?? $0.key.market) == $0.key.market
                                                        && (source ?? $0.key.source) == $0.key.source && (market != nil || !$0.key.isMark) }.map(\.key.symbol)).sorted()
            guard !symbols.isEmpty else {
                throw UsageError(description: "no symbols stored at \(parts[0])" + (market.map { " (\($0)\(source.map { ", \($0)" } ?? ""))" } ?? "") + "; see `strat data list`")
            }
            return symbols.map { "\($0)=db:\(spec.dropFirst(5))" }
        }
    }

    /// `db:INTERVAL[:MARKET[:SOURCE]]`; an interval not stored is resampled from
    /// the longest stored one that divides it (closed buckets only).
    /// Bars from the store, after checking their quality score; the bytes hashed
    /// for the provenance are the bars as stored. The instrument's trading rules
    /// come along when stored (`strat data fetch` keeps Binance's tick, lot and
    /// minimum notional).
    func fromStore(_ store: Store, symbol: String, spec: String, timeframe: BarLength?) throws
        -> (BarSeries, Data, InstrumentRules?, (key: SeriesKey, finer: SeriesKey?)) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let first = parts.first.flatMap { $0.isEmpty ? nil : $0 }
        guard let length = first.map(BarLength.init(parsing:)) ?? timeframe else {
            throw UsageError(description: "--data \(symbol)=db:\(spec): expected db:INTERVAL[:MARKET[:SOURCE]], e.g. db:1h, db:1M or db:1h:perp:binance, the INTERVAL \(BarLength.syntax)")
        }
        // Market and source left out: the one stored series of the symbol (at the
        // interval, else at a finer one to resample) whatever its market and source.
        let market = parts.count > 1 ? parts[1] : nil, source = parts.count > 2 ? parts[2] : nil
        let label = length.description
        let choose = "spell it out as \(symbol)=db:\(label):MARKET:SOURCE"
        let finerStored = try store.list().filter { $0.key.symbol == symbol && (market ?? $0.key.market) == $0.key.market && (source ?? $0.key.source) == $0.key.source
                                                    && $0.key.length.divides(length) && (market != nil || !$0.key.isMark) }
        let key = try storedSeries(store, symbol: symbol, length: length, market: market, source: source, choose: choose)
            ?? oneSeries(finerStored.map { SeriesKey(source: $0.key.source, market: $0.key.market, symbol: symbol, length: length) },
                         symbol: symbol, label: label, choose: choose)
            ?? SeriesKey(source: source ?? "csv", market: market ?? "spot", symbol: symbol, length: length)
        var bars = try store.bars(key)
        var qualityKey = key
        var finerKey: SeriesKey?
        if bars.isEmpty, let finer = finerStored.filter({ $0.key.market == key.market && $0.key.source == key.source })
                                                .max(by: { $0.key.length.nominal < $1.key.length.nominal }) {
            let base = try store.bars(finer.key)
            let r = Resampler.resample(base, base: finer.key.length, to: length)
            bars = r.closed
            qualityKey = finer.key
            finerKey = finer.key
            writeStderr("strat: note: \(symbol) \(label) resampled from stored \(finer.key.length) bars" + (r.partial != nil ? " (the last, unfinished \(label) bar left out)" : "") + "\n")
        }
        guard !bars.isEmpty else { throw UsageError(description: "no bars stored for \(symbol) \(label)\(market == nil && source == nil ? "" : " (\(key.market), \(key.source))"); see `strat data list`") }
        if adjust != .none { bars = CorporateActions.adjust(bars, actions: try store.actions(symbol: symbol), adjust) }
        let key2 = qualityKey
        if let q = try store.latestQuality(key2), q.score < minQuality {
            let message = "\(symbol) \(label) scores \(q.score)/100 for quality, below \(minQuality); see `strat data quality`"
            if strict { throw UsageError(description: message + " (--strict)") }
            writeStderr("strat: warning: \(message)\n")
        }
        // Bars stored with a broken OHLC (flagged on import or fetch) would trade on it.
        let broken = try store.flagged(key2, .integrity)
        if broken.count > 0 {
            let message = "\(symbol) \(key2.length): \(broken.count) stored bar\(broken.count == 1 ? " is" : "s are") flagged for OHLC integrity (e.g. high below low), "
                + "first at \(broken.first.map(UTCTime.format).joined(separator: ", "))\(broken.count > broken.first.count ? ", …" : ""); see `strat data export --flags`"
            if strict { throw UsageError(description: message + " (--strict)") }
            writeStderr("strat: warning: \(message)\n")
        }
        var raw = Data(capacity: bars.count * 48)
        for b in bars { withUnsafeBytes(of: b) { raw.append(contentsOf: $0) } }
        let rules = try store.instrument(source: key.source, market: key.market, symbol: symbol)
            .map { InstrumentRules(tickSize: $0.tick, lotSize: $0.lot, minNotional: $0.minNotional) }
        return (BarSeries(symbol: symbol, bars: bars), raw, rules, (key, finerKey))
    }

    func pick(_ ir: IRProgram) throws -> IRStrategy {
        if let name = strategyName {
            guard let s = ir.strategies.first(where: { $0.name == name }) else {
                throw UsageError(description: "\(strategy) has no strategy `\(name)`; it has \(ir.strategies.map(\.name).joined(separator: ", "))")
            }
            return s
        }
        guard ir.strategies.count == 1 else {
            throw UsageError(description: "\(strategy) declares \(ir.strategies.count) strategies (\(ir.strategies.map(\.name).joined(separator: ", "))); choose one with --strategy-name")
        }
        return ir.strategies[0]
    }

    /// Fees not given take the market's defaults: none on spot, Binance's base
    /// USDⓈ-M rates on perpetuals (2 bps maker, 5 bps taker).
    func execution(market: MarketKind = .spot) throws -> ExecutionConfig {
        var x = ExecutionConfig()
        guard let timing = FillTiming(rawValue: fill) else { throw UsageError(description: "--fill must be next-open or close, got `\(fill)`") }
        x.fill = timing
        // The numbers were checked in validate().
        x.slippage = Slippage(parsing: slippage) ?? .none
        x.makerFee = (makerFees ?? fees ?? (market == .perp ? 2 : 0)) / 10_000
        x.takerFee = (takerFees ?? fees ?? (market == .perp ? 5 : 0)) / 10_000
        x.halfSpread = halfSpread / 10_000
        x.latency = latency
        if let p = participation { x.participation = p / 100 }
        x.lotSize = lotSize
        x.tickSize = tickSize
        guard var sess = TradingSession(parsing: session) else {
            throw UsageError(description: "--session must be 24/7 or like 'Mon-Fri 14:30-21:00', got `\(session)`")
        }
        if let holidays {
            let text = try readText(holidays)
            for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
                let t = line.trimmingCharacters(in: .whitespaces)
                if t.isEmpty || t.hasPrefix("#") { continue }
                guard t.count == 10, let ms = UTCTime.parse(Substring(t)) else {
                    throw UsageError(description: "\(holidays):\(n + 1): `\(t)` is not a date; expected YYYY-MM-DD")
                }
                sess.holidays.insert(ms / 86_400_000)
            }
        }
        x.session = sess
        return x
    }

    func parseData(_ spec: String) throws -> (String, String) {
        if let eq = spec.firstIndex(of: "=") {
            let sym = String(spec[..<eq]), path = String(spec[spec.index(after: eq)...])
            guard !sym.isEmpty, !path.isEmpty else { throw UsageError(description: "--data takes SYMBOL=FILE.csv, got `\(spec)`") }
            return (sym, path)
        }
        return (URL(fileURLWithPath: spec).deletingPathExtension().lastPathComponent, spec)
    }

    /// `--set NAME=VALUE`: numbers, `2%`, `true`/`false`, durations like `4h`.
    func parseSets(_ s: IRStrategy) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for item in sets {
            guard let eq = item.firstIndex(of: "=") else { throw UsageError(description: "--set takes NAME=VALUE, got `\(item)`") }
            let name = String(item[..<eq]), text = String(item[item.index(after: eq)...])
            guard let input = s.inputs.first(where: { $0.name == name }) else {
                let known = s.inputs.map(\.name).joined(separator: ", ")
                throw UsageError(description: "--set \(name): no such input" + (known.isEmpty ? "; the strategy declares none" : "; the inputs are \(known)"))
            }
            guard let v = InputBinding.parse(text, type: input.type) else {
                throw UsageError(description: "--set \(name): `\(text)` is not a \(input.type) value")
            }
            try checkInputValue(name: name, type: input.type, value: v, min: input.min, max: input.max)
            out[name] = v
        }
        return out
    }

    /// Every file the run reads, which no output may overwrite.
    func inputFiles() throws -> [(what: String, path: String)] {
        var files: [(String, String)] = [("the strategy", strategy)]
        var readsStore = false
        for spec in data where !spec.hasPrefix("*=") {
            let (symbol, path) = try parseData(spec)
            if path == "db" || path.hasPrefix("db:") { readsStore = true } else { files.append(("the --data file of \(symbol)", path)) }
        }
        if readsStore || data.contains(where: { $0.hasPrefix("*=") }) { files.append(("the store", db ?? Store.defaultPath)) }
        for spec in intrabar { files.append(("an --intrabar file", try parseData(spec).1)) }
        for spec in depth { files.append(("a --depth file", try parseData(spec).1)) }
        for spec in mark { files.append(("a --mark file", try parseData(spec).1)) }
        for spec in funding { files.append(("a --funding file", try parseData(spec).1)) }
        if let brackets { files.append(("the --brackets file", brackets)) }
        if let holidays { files.append(("the --holidays file", holidays)) }
        return files
    }
}

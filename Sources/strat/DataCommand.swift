import ArgumentParser
import Foundation
import StratData
import StratMarket
import StratRun
import StratSema

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Store, validate, inspect and export market data (SQLite or PostgreSQL).",
        discussion: """
            The store is ~/.strat/strat.db unless --db PATH or $STRAT_DB says otherwise, \
            or a PostgreSQL database with --postgres URL or $STRAT_POSTGRES (schema strat).
            """,
        subcommands: [DataImport.self, DataFetch.self, DataExport.self, DataList.self, DataQuality.self, DataActions.self, DataBrackets.self])
}

/// Options every data command shares.
struct StoreOptions: ParsableArguments {
    @Option(help: "The SQLite file (default: $STRAT_DB or ~/.strat/strat.db).")
    var db: String?

    @Option(help: ArgumentHelp("A PostgreSQL store instead (default: $STRAT_POSTGRES when --db is not given).",
                               valueName: "postgres://user[:password]@host[:port]/database"))
    var postgres: String?

    func validate() throws {
        if db != nil && postgres != nil { throw ValidationError("--db and --postgres name two stores; give one") }
    }

    /// The PostgreSQL URL meant, if any.
    var postgresURL: String? {
        postgres ?? (db == nil ? ProcessInfo.processInfo.environment["STRAT_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 } : nil)
    }

    /// A command that only reads opens the store read-only: it creates nothing
    /// and works on a store it may not write.
    func open(readOnly: Bool = false) throws -> any SeriesStore {
        guard let url = postgresURL else { return try openStore(db, readOnly: readOnly) }
        do { return try PostgresStore(url: url, readOnly: readOnly) } catch let e as StoreError {
            throw UsageError(description: e.description)
        }
    }

    /// The store named by --db or --postgres ($STRAT_POSTGRES), for the library's runs;
    /// nil: none named (stored series come from the default file, and brackets from no store).
    var named: StoreLocation? {
        postgresURL.map { .postgres(url: $0) } ?? db.map { .sqlite(path: $0) }
    }

    /// The store file the command reads, when it is one (for the checks that an output does not overwrite it).
    var file: String? { postgresURL == nil ? db ?? Store.defaultPath : nil }
}

extension SeriesStore {
    /// The store in messages: its file, or its server and database.
    var path: String { label }
}

/// How the checks judge a series (import and quality share them).
struct CheckOptions: ParsableArguments {
    @Option(name: .customLong("outlier-threshold"), parsing: .unconditional, help: "Robust z-score above which a return is an outlier.")
    var outlierThreshold = 10.0

    @Flag(name: .customLong("weekdays"), help: "Weekends are not gaps (equities).")
    var weekdays = false

    func validate() throws {
        try validating { () throws(RunError) in
            try checkOption("--outlier-threshold", outlierThreshold, from: 0, above: true, to: 1e6, unit: "a z-score")
        }
    }

    func apply(to policy: inout ValidationPolicy) {
        policy.outlierThreshold = outlierThreshold
        policy.weekdaysOnly = weekdays
    }
}

/// The store at `path` (default: $STRAT_DB or ~/.strat/strat.db); a failure to
/// open it is a usage error naming the file.
func openStore(_ path: String?, readOnly: Bool = false) throws -> Store {
    do { return try Store(path: path ?? Store.defaultPath, readOnly: readOnly) } catch let e as StoreError {
        throw UsageError(description: e.description)
    }
}

/// Which series a command means.
struct SeriesOptions: ParsableArguments {
    @Option(help: "The symbol, e.g. BTCUSDT.")
    var symbol: String

    @Option(help: "The bar length: 1m, 5m, 1h, 4h, 1d, 1w, 1M (calendar months) …")
    var interval: String

    @Option(help: "spot, perp or perp-mark (a perpetual's mark-price bars) (import: spot; reads: the one stored series of the symbol and interval, whatever its market, never perp-mark unless asked).")
    var market: String?

    @Option(help: "Where the data came from: csv, binance, … (import: csv; reads: as for --market).")
    var source: String?

    func validate() throws {
        try checkSymbol(symbol)
        if let market, !["spot", "perp", "perp-mark"].contains(market) { throw ValidationError("--market must be spot, perp or perp-mark, got `\(market)`") }
        guard BarLength(parsing: interval) != nil else { throw ValidationError(intervalMessage(interval)) }
        if source?.isEmpty == true { throw ValidationError("--source must not be empty") }
    }

    /// The series to write: spot and csv unless given.
    func key() throws -> SeriesKey {
        guard let length = BarLength(parsing: interval) else { throw UsageError(description: intervalMessage(interval)) }
        return SeriesKey(source: source ?? "csv", market: market ?? "spot", symbol: symbol, length: length)
    }

    /// The series to read: with the market or source left out, the one stored
    /// series that matches (several: an error listing them).
    func resolve(in store: any SeriesStore) throws -> SeriesKey {
        let key = try key()
        return try storedSeries(store, symbol: symbol, length: key.length, market: market, source: source,
                                choose: "choose one with --market and --source") ?? key
    }
}

func intervalMessage(_ text: String, option: String = "--interval") -> String {
    "\(option) must be \(BarLength.syntax); got `\(text)`"
}

/// A symbol names a series and a column of output: a word, not blank.
func checkSymbol(_ symbol: String, option: String = "--symbol") throws {
    guard !symbol.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("\(option) must not be empty") }
    guard !symbol.contains(where: { $0.isWhitespace || $0 == "," || $0 == "=" || $0 == ":" || $0.asciiValue.map { $0 < 32 } == true }) else {
        throw ValidationError("\(option) `\(symbol)` must be one word without spaces, commas, `=` or `:`")
    }
}

func parseTime(_ text: String?, _ name: String) throws -> Int64? {
    guard let text else { return nil }
    guard let t = UTCTime.parse(Substring(text)) else {
        throw UsageError(description: "\(name) must be a UTC time like 2024-01-31 or 2024-01-31T12:00:00Z, got `\(text)`")
    }
    return t
}

struct DataImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
        abstract: "Validate a CSV of bars and store it.",
        discussion: "Each check has a policy: reject (refuse the import, naming the rows), flag (store and mark), repair.")

    @Argument(help: "CSV with the header time,open,high,low,close,volume.")
    var file: String

    @OptionGroup var series: SeriesOptions
    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("on-invalid"), help: "OHLC integrity: reject, flag or repair (drop the bar).")
    var onInvalid = Policy.reject

    @Option(name: .customLong("on-duplicate"), help: "Two bars at one time: reject, flag or repair (keep the first).")
    var onDuplicate = Policy.reject

    @Option(name: .customLong("on-order"), help: "Rows out of time order: reject, flag or repair (sort).")
    var onOrder = Policy.reject

    @Option(name: .customLong("on-gap"), help: "Missing bars: flag, reject or repair (fill flat zero-volume bars).")
    var onGap = Policy.flag

    @Option(name: .customLong("on-outlier"), help: "Returns far from the recent ones: flag or reject (drop the bar).")
    var onOutlier = Policy.flag

    @Option(name: .customLong("on-spacing"), help: "Bars not a whole number of --interval apart (hourly bars as 1d): reject or flag.")
    var onSpacing = Policy.reject

    @Option(name: .customLong("on-conflict"), help: "Bars stored already with other prices: reject (store nothing, list them), keep the stored ones or replace them.")
    var onConflict = ConflictPolicy.reject

    @OptionGroup var checks: CheckOptions
    @OptionGroup var time: TimeUnitOption

    func validate() throws {
        guard onSpacing != .repair else { throw ValidationError("--on-spacing must be reject or flag (bars at the wrong distance cannot be repaired), got `repair`") }
    }

    func run() throws {
        try withUsageErrors {
            let key = try series.key()
            let parsed: BarSeries
            do { parsed = try BarCSV.read(path: file, symbol: key.symbol, strict: false, timeUnit: time.timeUnit) } catch let e as BarCSV.Error {
                throw UsageError(description: e.description)
            }
            var policy = ValidationPolicy()
            policy.integrity = onInvalid
            policy.duplicates = onDuplicate
            policy.order = onOrder
            policy.gaps = onGap
            policy.outliers = onOutlier == .repair ? .reject : onOutlier
            policy.spacing = onSpacing
            checks.apply(to: &policy)
            let checked: (bars: [Bar], flags: [BarFlags], report: QualityReport)
            do { checked = try Validator.validate(parsed.bars, length: key.length, policy: policy, file: file) } catch let e as StratData.ValidationError {
                throw UsageError(description: "nothing imported:\n" + e.description)
            } catch let e as GapFillLimitError {
                throw UsageError(description: "nothing imported: " + e.description)
            }
            let db = try store.open()
            let added: InsertSummary
            do { added = try db.insert(checked.bars, flags: checked.flags, key: key, onConflict: onConflict) } catch let e as ConflictError {
                throw UsageError(description: e.description)
            }
            try db.saveQuality(checked.report, key: key, at: Int64(Date().timeIntervalSince1970 * 1000))
            let changed = added.changed == 0 ? "" : ", \(added.changed) changed: " + (onConflict == .keep ? "the stored bars kept" : "replaced")
            print("imported \(checked.bars.count) bars of \(key.symbol) \(key.length) (\(added.new) new\(changed)) into \(db.label)")
            print(checked.report.text(title: "\(key.symbol) \(key.length)"), terminator: "")
        }
    }
}

extension Policy: ExpressibleByArgument {}
extension ConflictPolicy: ExpressibleByArgument {}

struct DataExport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write stored bars as CSV.")

    @OptionGroup var series: SeriesOptions
    @OptionGroup var store: StoreOptions

    @Option(help: "First bar time (inclusive).")
    var from: String?

    @Option(help: "End time (exclusive).")
    var to: String?

    @Option(help: "The CSV file to write (- for stdout).")
    var out: String

    @Option(help: "Back-adjust for corporate actions: none, splits or all (splits and dividends).")
    var adjust = Adjustment.none

    @Flag(help: "Add a flags column: what validation marked on each bar (integrity|duplicate|out_of_order|after_gap|outlier|filled|spacing).")
    var flags = false

    func run() throws {
        try withUsageErrors {
            try checkOutputs([("--out", out)], inputs: store.file.map { [("the store", $0)] } ?? [])
            let db = try store.open(readOnly: true)
            let key = try series.resolve(in: db)
            var text: [UInt8] = Array("time,open,high,low,close,volume\(flags ? ",flags" : "")\n".utf8)
            var count = 0
            var times = UTCTimeWriter()
            let actions = adjust == .none ? [] : try db.actions(symbol: key.symbol)
            // Adjusting needs the later bars too (a split after --to still scales earlier prices).
            let all = adjust == .none ? nil : CorporateActions.adjust(try db.bars(key), actions: actions, adjust)
            let lower = try parseTime(from, "--from") ?? .min, upper = try parseTime(to, "--to") ?? .max
            func emit(_ bars: [Bar], _ marks: [BarFlags]) {
                for (i, b) in bars.enumerated() where b.time >= lower && b.time < upper {
                    times.append(b.time, to: &text)
                    for x in [b.open, b.high, b.low, b.close, b.volume] { text.append(44); NumberText.append(x, to: &text) }
                    if flags { text.append(44); text.append(contentsOf: (i < marks.count ? marks[i] : []).text.utf8) }
                    text.append(10)
                    count += 1
                }
            }
            if let all { emit(all, flags ? try db.flags(key) : []) } else {
                try db.read(key, from: lower == .min ? nil : lower, to: upper == .max ? nil : upper, withFlags: emit)
            }
            guard count > 0 else { throw UsageError(description: "no bars stored for \(key.symbol) \(series.interval)\(series.market == nil && series.source == nil ? "" : " (\(key.market), \(key.source))")\(from != nil || to != nil ? " in that range" : ""); see `strat data list`") }
            if out == "-" { FileHandle.standardOutput.write(Data(text)) } else {
                try writeOutput(Data(text), to: out, option: "--out")
                print("exported \(count) bars to \(out)")
            }
        }
    }
}

struct DataList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "What is stored.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        try withUsageErrors {
            let rows = try store.open(readOnly: true).list()
            if rows.isEmpty { print("no data stored"); return }
            // The market column widens for `perp-mark`.
            let width = max(7, rows.map(\.key.market.count).max() ?? 0)
            print("symbol      interval  " + "market".padding(toLength: width, withPad: " ", startingAt: 0) + " source   rows      first                 last                  quality")
            for r in rows {
                print([r.key.symbol.padding(toLength: 11, withPad: " ", startingAt: 0),
                       r.key.length.description.padding(toLength: 9, withPad: " ", startingAt: 0),
                       r.key.market.padding(toLength: width, withPad: " ", startingAt: 0),
                       r.key.source.padding(toLength: 8, withPad: " ", startingAt: 0),
                       String(r.rows).padding(toLength: 9, withPad: " ", startingAt: 0),
                       UTCTime.format(r.first).padding(toLength: 21, withPad: " ", startingAt: 0),
                       UTCTime.format(r.last).padding(toLength: 21, withPad: " ", startingAt: 0),
                       r.score.map { String(format: "%.1f", $0) } ?? "—"].joined(separator: " "))
            }
        }
    }
}

struct DataQuality: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quality",
        abstract: "Check a stored series again and report its quality (0–100).")

    @OptionGroup var series: SeriesOptions
    @OptionGroup var store: StoreOptions

    @OptionGroup var checks: CheckOptions

    func run() throws {
        try withUsageErrors {
            // The report is saved with the series when the store can be written.
            let db = try store.open(readOnly: store.file.map { !FileManager.default.isWritableFile(atPath: $0) } ?? false)
            let key = try series.resolve(in: db)
            let bars = try db.bars(key)
            guard !bars.isEmpty else { throw UsageError(description: "no bars stored for \(key.symbol) \(series.interval)\(series.market == nil && series.source == nil ? "" : " (\(key.market), \(key.source))"); see `strat data list`") }
            var policy = ValidationPolicy()
            for p in [\ValidationPolicy.integrity, \.duplicates, \.order, \.gaps, \.outliers, \.spacing] { policy[keyPath: p] = .flag }
            checks.apply(to: &policy)
            let report = try Validator.validate(bars, length: key.length, policy: policy, file: db.label, lineOf: { _ in nil }).report
            if db.readOnly { writeStderr("strat: note: \(db.label) is read-only; the report is not saved\n") } else {
                try db.saveQuality(report, key: key, at: Int64(Date().timeIntervalSince1970 * 1000))
            }
            print(report.text(title: "\(key.symbol) \(key.length) (\(key.market), \(key.source))"), terminator: "")
        }
    }
}

struct DataFetch: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch",
        abstract: "Fetch bars from an exchange into the store (resumable: only missing bars are requested).",
        discussion: "Binance public REST API; --base-url points at a mirror or a test server.")

    @Option(help: "The exchange (binance).")
    var source = "binance"

    @Option(help: "spot or perp (USDⓈ-M futures).")
    var market = "spot"

    @Option(help: "The symbol, e.g. BTCUSDT.")
    var symbol: String

    @Option(help: "The bar length: 1m, 5m, 15m, 1h, 4h, 1d, 1w, 1M (calendar months) …")
    var interval: String

    @Option(help: "First bar time (inclusive), e.g. 2024-01-01.")
    var from: String

    @Option(help: "End time (exclusive).")
    var to: String

    @Option(name: .customLong("base-url"), help: "Instead of the exchange's own address.")
    var baseURL: String?

    @Option(name: .customLong("weight-limit"), parsing: .unconditional, help: "Request weight allowed per minute.")
    var weightLimit = 1200.0

    @Option(name: .customLong("max-ban"), parsing: .unconditional, help: "Give up if the exchange asks to wait longer than this (seconds).")
    var maxBan = 600.0

    @Flag(help: "For a perp, also fetch its funding rates (with the mark price of each payment).")
    var funding = false

    @Flag(help: "For a perp, also fetch its mark-price bars (markPriceKlines) into their own series, market perp-mark.")
    var mark = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        try checkSymbol(symbol)
        try validating { () throws(RunError) in
            try checkOption("--weight-limit", weightLimit, from: 0, above: true, to: 1e6, unit: "request weight per minute")
            try checkOption("--max-ban", maxBan, from: 0, to: 86_400, unit: "seconds")
        }
    }

    func run() throws {
        try withUsageErrors {
            guard source == "binance" else { throw UsageError(description: "--source: only binance is supported, got `\(source)`") }
            guard ["spot", "perp"].contains(market) else { throw UsageError(description: "--market must be spot or perp, got `\(market)`") }
            for (flag, on) in [("--funding", funding), ("--mark", mark)] where on && market != "perp" {
                throw UsageError(description: "\(flag): only a perpetual has \(flag == "--mark" ? "mark prices" : "funding rates"); add --market perp")
            }
            guard let length = BarLength(parsing: interval), BinanceClient.intervalName(length) != nil else {
                throw UsageError(description: "--interval must be one of Binance's: \(BinanceClient.intervalNames) (M: calendar months), got `\(interval)`")
            }
            guard let start = try parseTime(from, "--from"), let end = try parseTime(to, "--to") else { return }
            guard start < end else { throw UsageError(description: "--from \(from) must be before --to \(to)") }
            let db = try store.open()
            var config = RateLimitConfig()
            config.weightPerMinute = weightLimit
            config.maxBan = maxBan
            let client = BinanceClient(market: market, baseURL: baseURL, config: config)
            let key = SeriesKey(source: source, market: market, symbol: symbol, length: length)
            let tty = isatty(2) != 0
            for key in mark ? [key, key.markKey] : [key] {
                let result: Result<FetchSummary, Error> = runBlocking {
                    try await Fetcher.fetch(client, into: db, key: key, from: start, to: end) { done, total in
                        guard tty, total > 0 else { return }
                        let width = 30, filled = width * done / total
                        writeStderr("\r[\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(done)/\(total) bars")
                        if done == total { writeStderr("\n") }
                    }
                }
                let summary: FetchSummary
                switch result {
                case .success(let s): summary = s
                case .failure(let e as FetchError): throw UsageError(description: e.description)
                case .failure(let e): throw UsageError(description: "\(e)")
                }
                let what = key.isMark ? "\(market) mark prices" : market
                print("\(symbol) \(interval) \(what): \(summary.expected) bars in range, \(summary.alreadyStored) already stored, \(summary.fetched) fetched in \(summary.requests) request\(summary.requests == 1 ? "" : "s"), \(summary.newRows) new")
                if let r = summary.report { print(r.text(title: "\(symbol) \(interval)\(key.isMark ? " mark" : "")"), terminator: "") }
            }
            // Tick, lot and minimum notional, which backtests on these bars then use.
            let instrument: Result<(tick: Double?, lot: Double?, minNotional: Double?), Error> = runBlocking {
                let i = try await client.instrument(symbol: symbol)
                try db.upsertInstrument(source: source, market: market, symbol: symbol, tick: i.tick, lot: i.lot, minNotional: i.minNotional,
                                        at: Int64(Date().timeIntervalSince1970 * 1000))
                return i
            }
            switch instrument {
            case .success(let i):
                // Plain decimals as the exchange writes them (0.00001, not 1e-05).
                func text(_ v: Double?) -> String {
                    guard let v else { return "none" }
                    var t = String(format: "%.10f", v)
                    while t.hasSuffix("0") { t.removeLast() }
                    return t.hasSuffix(".") ? String(t.dropLast()) : t
                }
                print("\(symbol) \(market): tick \(text(i.tick)), lot \(text(i.lot)), minimum notional \(text(i.minNotional)) stored")
            case .failure(let e):
                writeStderr("strat: warning: \(symbol) instrument details not stored: \(e)\n")
            }
            if funding, market == "perp" {
                let extra: Result<(Int, Int), Error> = runBlocking {
                    let rates = try await client.fundingRates(symbol: symbol, start: start, end: end)
                    try db.insertFunding(rates, source: source, symbol: symbol)
                    return (rates.count, rates.filter { $0.mark != nil }.count)
                }
                switch extra {
                case .success(let (n, marked)): print("\(n) funding rates stored (\(marked) with the mark price of the payment)")
                case .failure(let e): throw UsageError(description: "\(e)")
                }
            }
        }
    }
}

/// Runs async work from a synchronous command and waits for it.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, Error> {
    nonisolated(unsafe) var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)
    Task {
        do { result = .success(try await body()) } catch { result = .failure(error) }
        done.signal()
    }
    done.wait()
    return result!
}

extension Adjustment: ExpressibleByArgument {}

struct DataActions: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "actions",
        abstract: "Corporate actions (splits and dividends) for back-adjusted prices.",
        subcommands: [DataActionsImport.self])
}

struct DataActionsImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
        abstract: "Store splits and dividends from a CSV: time,symbol,kind,value (kind split or dividend).")

    @Argument(help: "The CSV file.")
    var file: String

    @OptionGroup var store: StoreOptions

    func run() throws {
        try withUsageErrors {
            let text = try readTextFile(file)
            let actions: [CorporateAction]
            do { actions = try CorporateActions.parse(text, file: file) } catch let e as FetchError { throw UsageError(description: e.description) }
            try store.open().insertActions(actions)
            let splits = actions.filter { $0.kind == .split }.count
            print("stored \(actions.count) corporate actions (\(splits) splits, \(actions.count - splits) dividends)")
        }
    }
}

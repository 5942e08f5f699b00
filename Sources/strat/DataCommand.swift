import ArgumentParser
import Foundation
import StratData
import StratMarket
import StratSema

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Store, validate, inspect and export market data (SQLite).",
        discussion: "The store is ~/.strat/strat.db unless --db PATH or $STRAT_DB says otherwise.",
        subcommands: [DataImport.self, DataExport.self, DataList.self, DataQuality.self])
}

/// Options every data command shares.
struct StoreOptions: ParsableArguments {
    @Option(help: "The SQLite file (default: $STRAT_DB or ~/.strat/strat.db).")
    var db: String?

    func open() throws -> Store {
        do { return try Store(path: db ?? Store.defaultPath) } catch let e as StoreError {
            throw UsageError(description: e.description)
        }
    }
}

/// Which series a command means.
struct SeriesOptions: ParsableArguments {
    @Option(help: "The symbol, e.g. BTCUSDT.")
    var symbol: String

    @Option(help: "The bar length: 1m, 5m, 1h, 4h, 1d, 1w …")
    var interval: String

    @Option(help: "spot or perp.")
    var market = "spot"

    @Option(help: "Where the data came from (csv, binance, …).")
    var source = "csv"

    func key() throws -> SeriesKey {
        guard ["spot", "perp"].contains(market) else { throw UsageError(description: "--market must be spot or perp, got `\(market)`") }
        guard let seconds = parseInterval(interval) else {
            throw UsageError(description: "--interval must be a length such as 1m, 15m, 1h, 4h, 1d or 1w, got `\(interval)`")
        }
        return SeriesKey(source: source, market: market, symbol: symbol, interval: seconds)
    }
}

func parseInterval(_ text: String) -> Int64? {
    let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
    guard let u = text.last.flatMap({ units[$0] }), let n = Int64(text.dropLast()), n > 0 else { return nil }
    return n * u
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

    @Option(name: .customLong("outlier-threshold"), help: "Robust z-score above which a return is an outlier.")
    var outlierThreshold = 10.0

    @Flag(name: .customLong("weekdays"), help: "Weekends are not gaps (equities).")
    var weekdays = false

    func run() throws {
        try withUsageErrors {
            let key = try series.key()
            let parsed: BarSeries
            do { parsed = try BarCSV.read(path: file, symbol: key.symbol, strict: false) } catch let e as BarCSV.Error {
                throw UsageError(description: e.description)
            }
            var policy = ValidationPolicy()
            policy.integrity = onInvalid
            policy.duplicates = onDuplicate
            policy.order = onOrder
            policy.gaps = onGap
            policy.outliers = onOutlier == .repair ? .reject : onOutlier
            policy.outlierThreshold = outlierThreshold
            policy.weekdaysOnly = weekdays
            let checked: (bars: [Bar], flags: [BarFlags], report: QualityReport)
            do { checked = try Validator.validate(parsed.bars, interval: key.interval * 1000, policy: policy, file: file) } catch let e as StratData.ValidationError {
                throw UsageError(description: "nothing imported:\n" + e.description)
            }
            let db = try store.open()
            let added = try db.insert(checked.bars, flags: checked.flags, key: key)
            try db.saveQuality(checked.report, key: key, at: Int64(Date().timeIntervalSince1970 * 1000))
            print("imported \(checked.bars.count) bars of \(key.symbol) \(formatDuration(key.interval)) (\(added) new) into \(db.path)")
            print(checked.report.text(title: "\(key.symbol) \(formatDuration(key.interval))"), terminator: "")
        }
    }
}

extension Policy: ExpressibleByArgument {}

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

    func run() throws {
        try withUsageErrors {
            let key = try series.key()
            let db = try store.open()
            var text: [UInt8] = Array("time,open,high,low,close,volume\n".utf8)
            var count = 0
            var times = UTCTimeWriter()
            try db.read(key, from: try parseTime(from, "--from"), to: try parseTime(to, "--to")) { bars in
                for b in bars {
                    times.append(b.time, to: &text)
                    for x in [b.open, b.high, b.low, b.close, b.volume] { text.append(44); text.append(contentsOf: x.description.utf8) }
                    text.append(10)
                }
                count += bars.count
            }
            guard count > 0 else { throw UsageError(description: "no bars stored for \(key.symbol) \(series.interval) (\(key.market), \(key.source)) in that range; see `strat data list`") }
            if out == "-" { FileHandle.standardOutput.write(Data(text)) } else {
                guard FileManager.default.createFile(atPath: out, contents: Data(text)) else { throw UsageError(description: "\(out): cannot write") }
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
            let rows = try store.open().list()
            if rows.isEmpty { print("no data stored"); return }
            print("symbol      interval  market  source   rows      first                 last                  quality")
            for r in rows {
                print([r.key.symbol.padding(toLength: 11, withPad: " ", startingAt: 0),
                       formatDuration(r.key.interval).padding(toLength: 9, withPad: " ", startingAt: 0),
                       r.key.market.padding(toLength: 7, withPad: " ", startingAt: 0),
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

    @Option(name: .customLong("outlier-threshold"), help: "Robust z-score above which a return is an outlier.")
    var outlierThreshold = 10.0

    @Flag(name: .customLong("weekdays"), help: "Weekends are not gaps (equities).")
    var weekdays = false

    func run() throws {
        try withUsageErrors {
            let key = try series.key()
            let db = try store.open()
            let bars = try db.bars(key)
            guard !bars.isEmpty else { throw UsageError(description: "no bars stored for \(key.symbol) \(series.interval); see `strat data list`") }
            var policy = ValidationPolicy()
            for p in [\ValidationPolicy.integrity, \.duplicates, \.order, \.gaps, \.outliers] { policy[keyPath: p] = .flag }
            policy.outlierThreshold = outlierThreshold
            policy.weekdaysOnly = weekdays
            let report = try Validator.validate(bars, interval: key.interval * 1000, policy: policy, file: db.path, lineOf: { _ in nil }).report
            try db.saveQuality(report, key: key, at: Int64(Date().timeIntervalSince1970 * 1000))
            print(report.text(title: "\(key.symbol) \(formatDuration(key.interval)) (\(key.market), \(key.source))"), terminator: "")
        }
    }
}

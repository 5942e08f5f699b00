import Foundation
import StratBacktest
import StratData
import StratEngine
import StratIR
import StratMarket
import StratSyntax

/// What `PreparedRun.prepare` does once the strategy compiled: reads the data
/// (files, CSV text, the store), checks it, and builds the configuration.
/// Its functions throw what the libraries below throw; `prepare` types them.
struct Preparer {
    let options: BacktestOptions
    /// The strategy's file, as messages name it.
    let file: String
    let store: StoreLocation?
    let report: (RunMessage) -> Void

    func prepare(_ ir: IRProgram, source: SourceFile, data: [DataInput]) throws -> PreparedRun {
        let s = try options.pick(ir, file: file)
        var config = try options.config(for: s, file: file)
        var provenanceData: [Provenance.DataFile] = []
        var storedKeys: [String: (key: SeriesKey, finer: SeriesKey?)] = [:]
        var series: [BarSeries] = []
        var files: [Data] = []
        // The store is opened once, and only if some input reads it.
        let stored = data.contains(where: \.readsStore) ? try openStore() : nil
        let timeUnit = options.timeUnit
        for input in try expandStored(data, stored) {
            switch input {
            case .stored(let symbol, let spec):
                let timeframe = s.timeframe.map { BarLength.milliseconds($0 * 1000) } ?? s.timeframeMonths.map(BarLength.months)
                let (bars, bytes, rules, origin, quality) = try fromStore(stored!, symbol: symbol, spec: spec, timeframe: timeframe)
                series.append(bars)
                storedKeys[symbol] = origin
                if var rules {
                    // lot_size and tick_size, when given, apply to every symbol.
                    if options.lotSize != nil { rules.lotSize = nil }
                    if options.tickSize != nil { rules.tickSize = nil }
                    config.execution.instruments[symbol] = rules
                }
                provenanceData.append(.init(symbol: symbol, path: "\(stored!.label)#db" + (spec.isEmpty ? "" : ":\(spec)"), sha256: "", rows: bars.bars.count,
                                            quality: quality))
                files.append(bytes)
            case .file(let symbol, let path):
                let bytes = try BarCSV.load(path: path)
                series.append(try BarCSV.parse(data: bytes, file: path, symbol: symbol, timeUnit: timeUnit))
                provenanceData.append(.init(symbol: symbol, path: path, sha256: "", rows: series.last!.bars.count))
                files.append(bytes)
            case .csv(let symbol, let name, let bytes):
                series.append(try BarCSV.parse(data: bytes, file: name, symbol: symbol, timeUnit: timeUnit))
                provenanceData.append(.init(symbol: symbol, path: name, sha256: "", rows: series.last!.bars.count))
                files.append(bytes)
            case .allStored:
                break
            }
        }
        var books: [String: [BookSnapshot]] = [:]
        for spec in options.depth {
            let (symbol, path) = try BacktestOptions.symbolFile(spec)
            let bytes = try BarCSV.load(path: path)
            let book = try DepthCSV.parse(String(decoding: bytes, as: UTF8.self), file: path)
            books[symbol] = book
            provenanceData.append(.init(symbol: "\(symbol) (order book)", path: path, sha256: "", rows: book.count))
            files.append(bytes)
        }
        let perpFiles = try loadPerpFiles(s, &provenanceData, &files)
        // The data files' hashes are computed on the other core while the backtest runs.
        let hashing = DataHashes(files)
        if let twice = series.map(\.symbol).enumerated().first(where: { i, s in series[..<i].contains { $0.symbol == s } }) {
            throw RunError.invalidOption("the symbol \(twice.element) is given twice in --data (\(data.filter { $0.symbol == twice.element }.map(\.spec).joined(separator: " and "))); give each symbol once")
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
        for spec in options.intrabar {
            let (symbol, path) = try BacktestOptions.symbolFile(spec)
            fine.append(try BarCSV.read(path: path, symbol: symbol, timeUnit: timeUnit))
        }
        // Found once here, not once per run of a batch.
        series = series.map { $0.measured() }
        return PreparedRun(source: source, strategy: s, series: series, options: options, config: config, intrabar: fine,
                           depth: books, perp: perp, data: provenanceData, hashes: hashing)
    }

    func openStore() throws -> any SeriesStore {
        try (store ?? .standard).open(readOnly: true)
    }

    /// `*=db:INTERVAL[:MARKET[:SOURCE]]`: every symbol stored at that interval (the
    /// candidates of a dynamic universe, delisted ones included).
    func expandStored(_ inputs: [DataInput], _ store: (any SeriesStore)?) throws -> [DataInput] {
        try inputs.flatMap { input -> [DataInput] in
            guard case .allStored(let spec) = input else { return [input] }
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard let length = parts.first.flatMap(BarLength.init(parsing:)), let store else {
                throw RunError.invalidOption("--data \(input.spec): expected *=db:INTERVAL[:MARKET[:SOURCE]], the INTERVAL \(BarLength.syntax)")
            }
            // Left out, the market and source are any (each symbol then resolves to its one stored series).
            let market = parts.count > 1 ? parts[1] : nil, source = parts.count > 2 ? parts[2] : nil
            let symbols = Set(try store.list().filter { $0.key.length == length && (market ?? $0.key.market) == $0.key.market
                                                        && (source ?? $0.key.source) == $0.key.source && (market != nil || !$0.key.isMark) }.map(\.key.symbol)).sorted()
            guard !symbols.isEmpty else {
                throw RunError.unknownSeries("no symbols stored at \(parts[0])" + (market.map { " (\($0)\(source.map { ", \($0)" } ?? ""))" } ?? "") + "; see `strat data list`")
            }
            return symbols.map { .stored(symbol: $0, spec: spec) }
        }
    }

    /// `db:INTERVAL[:MARKET[:SOURCE]]`; an interval not stored is resampled from
    /// the longest stored one that divides it (closed buckets only).
    /// Bars from the store, after checking their quality score; the bytes hashed
    /// for the provenance are the bars as stored. The instrument's trading rules
    /// come along when stored (`strat data fetch` keeps Binance's tick, lot and
    /// minimum notional); with them the latest quality report, for the provenance.
    func fromStore(_ store: any SeriesStore, symbol: String, spec: String, timeframe: BarLength?) throws
        -> (BarSeries, Data, InstrumentRules?, (key: SeriesKey, finer: SeriesKey?), quality: String?) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let first = parts.first.flatMap { $0.isEmpty ? nil : $0 }
        guard let length = first.map(BarLength.init(parsing:)) ?? timeframe else {
            throw RunError.invalidOption("--data \(symbol)=db:\(spec): expected db:INTERVAL[:MARKET[:SOURCE]], e.g. db:1h, db:1M or db:1h:perp:binance, the INTERVAL \(BarLength.syntax)")
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
            report(.note("\(symbol) \(label) resampled from stored \(finer.key.length) bars" + (r.partial != nil ? " (the last, unfinished \(label) bar left out)" : "")))
        }
        guard !bars.isEmpty else {
            throw RunError.unknownSeries("no bars stored for \(symbol) \(label)\(market == nil && source == nil ? "" : " (\(key.market), \(key.source))"); see `strat data list`")
        }
        if options.adjust != .none { bars = CorporateActions.adjust(bars, actions: try store.actions(symbol: symbol), options.adjust) }
        let quality = try store.latestQuality(qualityKey)
        if let q = quality, q.score < options.minQuality {
            try warn("\(symbol) \(label) scores \(q.score)/100 for quality, below \(options.minQuality); see `strat data quality`")
        }
        // Bars stored with a broken OHLC (flagged on import or fetch) would trade on it.
        let broken = try store.flagged(qualityKey, .integrity)
        if broken.count > 0 {
            try warn("\(symbol) \(qualityKey.length): \(broken.count) stored bar\(broken.count == 1 ? " is" : "s are") flagged for OHLC integrity (e.g. high below low), "
                + "first at \(broken.first.map(UTCTime.format).joined(separator: ", "))\(broken.count > broken.first.count ? ", …" : ""); see `strat data export --flags`")
        }
        var raw = Data(capacity: bars.count * 48)
        for b in bars { withUnsafeBytes(of: b) { raw.append(contentsOf: $0) } }
        let rules = try store.instrument(source: key.source, market: key.market, symbol: symbol)
            .map { InstrumentRules(tickSize: $0.tick, lotSize: $0.lot, minNotional: $0.minNotional) }
        return (BarSeries(symbol: symbol, bars: bars), raw, rules, (key, finerKey),
                quality?.text(title: "\(symbol) \(qualityKey.length) (\(qualityKey.market), \(qualityKey.source))"))
    }

    /// A defect of stored data: an error with `strict`, else a warning.
    func warn(_ message: String) throws {
        if options.strict { throw RunError.dataQuality(message + " (--strict)") }
        report(.warning(message))
    }
}

/// The one stored series of `symbol` at `length` matching the market and
/// source given (nil: any); nil when none is stored; an error naming them all
/// when several are.
public func storedSeries(_ store: any SeriesStore, symbol: String, length: BarLength, market: String?, source: String?, choose: String) throws -> SeriesKey? {
    if let market, let source { return SeriesKey(source: source, market: market, symbol: symbol, length: length) }
    return try oneSeries(store.series(symbol: symbol, length: length, market: market, source: source),
                         symbol: symbol, label: length.description, choose: choose)
}

/// The one series of several candidates (by market and source), or an error listing them.
func oneSeries(_ candidates: [SeriesKey], symbol: String, label: String, choose: String) throws(RunError) -> SeriesKey? {
    let distinct = candidates.reduce(into: [SeriesKey]()) { out, k in
        if !out.contains(where: { $0.market == k.market && $0.source == k.source }) { out.append(k) }
    }
    guard distinct.count > 1 else { return distinct.first }
    throw .invalidOption("several stored series match \(symbol) \(label): " + distinct.map { "\($0.market) from \($0.source)" }.joined(separator: ", ") + "; \(choose)")
}

import Foundation
import StratBacktest
import StratData
import StratIR
import StratMarket
import StratSema

/// The files of `--mark`, `--funding` and `--brackets`, read before the run
/// (their bytes are hashed for the provenance with the other inputs).
struct PerpFiles {
    var marks: [(symbol: String, path: String, bars: [Bar])] = []
    var funding: [(symbol: String, path: String, rates: [FundingRate])] = []
    var brackets: (path: String, entries: [BracketFile.Entry])?
}

extension Preparer {
    /// Reads the perp files; each defect is an error naming the file. They
    /// are refused for a strategy that does not trade a perpetual.
    func loadPerpFiles(_ s: IRStrategy, _ provenance: inout [Provenance.DataFile], _ files: inout [Data]) throws -> PerpFiles {
        var out = PerpFiles()
        if s.market.kind != .perp {
            let given = [("--mark", !options.mark.isEmpty), ("--funding", !options.funding.isEmpty), ("--brackets", options.brackets != nil),
                         ("--liquidation-fee", options.liquidationFee != nil)].filter(\.1).map(\.0)
            if let first = given.first {
                throw RunError.invalidOption("\(first) applies to perpetual futures (`market perp`); \(file) trades \(s.market.kind.rawValue)")
            }
            return out
        }
        for spec in options.mark {
            let (symbol, path) = try BacktestOptions.symbolFile(spec)
            guard !out.marks.contains(where: { $0.symbol == symbol }) else { throw RunError.invalidOption("--mark gives \(symbol) twice; give each symbol once") }
            let bytes = try BarCSV.load(path: path)
            let bars = try BarCSV.parse(data: bytes, file: path, symbol: symbol, timeUnit: options.timeUnit).bars
            out.marks.append((symbol, path, bars))
            provenance.append(.init(symbol: "\(symbol) (mark)", path: path, sha256: "", rows: bars.count))
            files.append(bytes)
        }
        for spec in options.funding {
            let (symbol, path) = try BacktestOptions.symbolFile(spec)
            guard !out.funding.contains(where: { $0.symbol == symbol }) else { throw RunError.invalidOption("--funding gives \(symbol) twice; give each symbol once") }
            let bytes = try BarCSV.load(path: path)
            let rates = try FundingCSV.parse(String(decoding: bytes, as: UTF8.self), file: path)
            out.funding.append((symbol, path, rates))
            provenance.append(.init(symbol: "\(symbol) (funding)", path: path, sha256: "", rows: rates.count))
            files.append(bytes)
        }
        if let brackets = options.brackets {
            let bytes = try BarCSV.load(path: brackets)
            let entries = try BracketFile.parse(bytes, file: brackets)
            out.brackets = (brackets, entries)
            provenance.append(.init(symbol: "(leverage brackets)", path: brackets, sha256: "", rows: entries.reduce(0) { $0 + $1.brackets.count }))
            files.append(bytes)
        }
        return out
    }

    /// Per traded symbol: mark bars (`--mark`, else the stored mark series of
    /// stored perp data), funding (`--funding`, else the store's rates of stored
    /// perp data), brackets and the liquidation fee rate (`PerpInputs`). One
    /// note per symbol says where each came from.
    func perpData(_ s: IRStrategy, series: [BarSeries], files: PerpFiles, renamed: [String: String],
                  storedKeys: [String: (key: SeriesKey, finer: SeriesKey?)], store: (any SeriesStore)?) throws -> PerpData {
        var perp = PerpData()
        guard s.market.kind == .perp else { return perp }
        let symbols = series.map(\.symbol)
        func final(_ symbol: String, _ option: String) throws -> String {
            let name = renamed[symbol] ?? symbol
            guard symbols.contains(name) else {
                throw RunError.invalidOption("\(option) \(symbol)=…: no --data for \(symbol); the data's symbols are \(symbols.joined(separator: ", "))")
            }
            return name
        }
        var markFiles: [String: (path: String, bars: [Bar])] = [:]
        for m in files.marks { markFiles[try final(m.symbol, "--mark")] = (m.path, m.bars) }
        var fundingFiles: [String: (path: String, rates: [FundingRate])] = [:]
        for f in files.funding { fundingFiles[try final(f.symbol, "--funding")] = (f.path, f.rates) }
        // Stored brackets come from the store the data is read from, or --db.
        let bracketStore = try store ?? self.store?.open(readOnly: true)
        for one in series {
            let symbol = one.symbol
            guard let first = one.bars.first, let last = one.bars.last else { continue }
            var said: [String] = []
            let storedKey = storedKeys[symbol].flatMap { $0.key.market == "perp" ? $0 : nil }
            // Mark prices.
            if let m = markFiles[symbol] {
                let aligned = try alignMarks(m.bars, one.bars, m.path)
                perp.marks[symbol] = aligned.marks
                said.append("mark prices from \(m.path) (\(aligned.marks.count) bars\(missing(aligned.missing)))")
            } else if let k = storedKey, let store {
                var marks: [Bar]
                if let finer = k.finer {
                    marks = Resampler.resample(try store.bars(finer.markKey), base: finer.length, to: k.key.length).closed
                } else {
                    marks = try store.bars(k.key.markKey, from: first.time, to: last.time + 1)
                }
                let aligned = try alignMarks(marks, one.bars, "\(store.label)#\(k.key.markKey.market)")
                if !aligned.marks.isEmpty {
                    perp.marks[symbol] = aligned.marks
                    said.append("mark prices from the store (\(aligned.marks.count) bars\(missing(aligned.missing)))")
                } else {
                    said.append("no mark prices stored (`strat data fetch --market perp --mark` stores them)")
                }
            } else {
                said.append("no mark prices (--mark \(symbol)=FILE.csv gives them)")
            }
            // Funding.
            if let f = fundingFiles[symbol] {
                perp.funding[symbol] = f.rates
                said.append("funding from \(f.path) (\(span(f.rates, from: first.time, to: one.bars.count > 1 ? last.time : nil)))")
            } else if let k = storedKey, let store {
                let end = k.key.length.end(after: last.time)
                let rates = try store.fundingRates(source: k.key.source, symbol: symbol, from: first.time, to: end + 1)
                if !rates.isEmpty { perp.funding[symbol] = rates }
                said.append(rates.isEmpty ? "no funding stored (`strat data fetch --market perp --funding` stores it)"
                                          : "funding from the store (\(span(rates, from: first.time, to: one.bars.count > 1 ? last.time : nil)))")
            } else {
                said.append("no funding (--funding \(symbol)=FILE.csv gives it)")
            }
            // Brackets and the liquidation fee.
            let choice = try PerpInputs.brackets(for: symbol, file: files.brackets?.entries, fileName: files.brackets?.path ?? "",
                                                 stored: try bracketStore?.bracketTables(symbol: symbol) ?? [], at: first.time)
            if !choice.tables.isEmpty { perp.brackets[symbol] = choice.tables }
            let early = choice.tables.first.map { $0.validFrom > first.time } == true
                ? "; dated after the first bar, the earliest table stands for the time before it too" : ""
            switch choice.origin {
            case .file(let path): said.append("leverage brackets from \(path)")
            case .store: said.append("leverage brackets from the store (\(choice.tables.count) table\(choice.tables.count == 1 ? "" : "s") from \(choice.tables.map { UTCTime.format($0.validFrom).prefix(10) }.joined(separator: ", "))\(early))")
            case .shipped: said.append("leverage brackets shipped with strat (Binance's of \(UTCTime.format(DefaultBrackets.validFrom).prefix(10)), \(DefaultBrackets.file)\(early))")
            case .none: said.append("no leverage brackets (one tier from the leverage; `strat data brackets import` or --brackets give them)")
            }
            if let bps = options.liquidationFee {
                perp.liquidationFee[symbol] = bps / 10_000
                said.append("liquidation fee \(percent(bps / 10_000)) (--liquidation-fee)")
            } else if let fee = choice.liquidationFee {
                perp.liquidationFee[symbol] = fee
                said.append("liquidation fee \(percent(fee))")
            } else {
                said.append("no liquidation fee rate (--liquidation-fee BPS gives one)")
            }
            report(.note("\(symbol) perpetual: " + said.joined(separator: "; ")))
        }
        return perp
    }

    /// "5 rates, FIRST … LAST", and whether they leave out funding times of the
    /// run: a gap from the first bar, or to the last, wider than the rates' own
    /// spacing (8 hours for a single rate).
    func span(_ rates: [FundingRate], from start: Int64, to end: Int64?) -> String {
        guard let a = rates.first, let b = rates.last else { return "no rates" }
        var text = "\(rates.count) rate\(rates.count == 1 ? "" : "s")"
        text += rates.count == 1 ? ", \(UTCTime.format(a.time))" : ", \(UTCTime.format(a.time)) … \(UTCTime.format(b.time))"
        let gaps = zip(rates.dropFirst(), rates).map { $0.time - $1.time }.sorted()
        let spacing = gaps.isEmpty ? 8 * 3_600_000 : gaps[gaps.count / 2]
        if a.time - start > spacing { text += "; none before the first: the funding times before it pay nothing" }
        if let end, end - b.time > spacing { text += "; none after the last: the funding times after it pay nothing" }
        return text
    }

    /// ", 1 traded bar without one (the last price stands in)".
    func missing(_ n: Int) -> String {
        n == 0 ? "" : ", \(n) traded bar\(n == 1 ? "" : "s") without one: the last price stands in"
    }

    func alignMarks(_ marks: [Bar], _ bars: [Bar], _ source: String) throws -> (marks: [Bar], missing: Int) {
        try PerpInputs.alignMarks(marks, to: bars, source: source)
    }
}

/// A rate as a readable percentage: 0.0125 → "1.25%".
public func percent(_ rate: Double) -> String { NumberText.readable(rate * 100) + "%" }

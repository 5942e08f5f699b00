import Foundation
import StratMarket

/// Assembles what a perpetual-futures backtest reads beside its bars
/// (`PerpData`): mark-price bars, funding rates, dated leverage brackets and
/// the liquidation fee rate, each from the first of its sources that has it.
///
/// ```
/// let marks = try PerpInputs.alignMarks(csvMarks, to: bars, source: "marks.csv")
/// let pick = try PerpInputs.brackets(for: "BTCUSDT", file: fileEntries, fileName: "b.json", stored: store.bracketTables(symbol: "BTCUSDT"))
/// ```
public enum PerpInputs {
    /// Mark bars share the traded bars' length and open times. Those outside
    /// the traded range are dropped; one inside it at a time no traded bar has
    /// is an error (a file of another bar length, or shifted times); traded
    /// bars without a mark bar are counted (the last price stands in for them).
    public static func alignMarks(_ marks: [Bar], to bars: [Bar], source: String) throws -> (marks: [Bar], missing: Int) {
        guard let first = bars.first?.time, let last = bars.last?.time else { return ([], 0) }
        // Both are in increasing time (the readers refuse anything else): one merge walk.
        var out: [Bar] = []
        out.reserveCapacity(min(marks.count, bars.count))
        var j = 0
        for m in marks where m.time >= first && m.time <= last {
            while bars[j].time < m.time { j += 1 }
            guard bars[j].time == m.time else {
                throw FetchError("\(source): the mark bar at \(UTCTime.format(m.time)) opens at no traded bar's time; mark bars must have the traded bars' length and open times")
            }
            out.append(m)
        }
        return (out, bars.count - out.count)
    }

    /// Where a symbol's leverage brackets came from.
    public enum BracketOrigin: Sendable, Equatable {
        /// `--brackets FILE.json`: one table for the whole run.
        case file(String)
        /// The store's tables, dated.
        case store
        /// The table shipped with strat (`DefaultBrackets`).
        case shipped
        /// None anywhere: the engine uses one flat tier from the leverage.
        case none
    }

    public struct BracketChoice: Sendable, Equatable {
        /// Ascending `validFrom`.
        public var tables: [BracketTable]
        /// The liquidation fee rate of the table in force at the first bar, when its source gives one.
        public var liquidationFee: Double?
        public var origin: BracketOrigin

        public init(tables: [BracketTable], liquidationFee: Double?, origin: BracketOrigin) {
            self.tables = tables
            self.liquidationFee = liquidationFee
            self.origin = origin
        }
    }

    /// A symbol's brackets: from the file if it has the symbol, else the
    /// store's tables (of one source), else the shipped default, else none.
    /// `at` is the first bar's time, which picks the liquidation fee rate.
    public static func brackets(for symbol: String, file: [BracketFile.Entry]?, fileName: String = "", stored: [StoredBrackets],
                                at time: Int64) throws -> BracketChoice {
        if let e = file?.first(where: { $0.symbol == symbol }) {
            return BracketChoice(tables: [BracketTable(validFrom: .min, brackets: e.brackets)], liquidationFee: e.liquidationFee, origin: .file(fileName))
        }
        let mine = stored.filter { $0.symbol == symbol }
        if !mine.isEmpty {
            let sources = Array(Set(mine.map(\.source))).sorted()
            guard sources.count == 1 else {
                throw FetchError("the store holds leverage brackets of \(symbol) from \(sources.joined(separator: " and ")); give the ones to use with --brackets FILE.json")
            }
            let tables = mine.sorted { $0.table.validFrom < $1.table.validFrom }
            let inForce = tables.last { $0.table.validFrom <= time } ?? tables[0]
            return BracketChoice(tables: tables.map(\.table), liquidationFee: inForce.liquidationFee, origin: .store)
        }
        if let e = DefaultBrackets.entry(symbol) {
            return BracketChoice(tables: [BracketTable(validFrom: DefaultBrackets.validFrom, brackets: e.brackets)],
                                 liquidationFee: e.liquidationFee, origin: .shipped)
        }
        return BracketChoice(tables: [], liquidationFee: nil, origin: .none)
    }
}

import Foundation
import StratBacktest
import StratMarket

/// What every section reads: the document, its times parsed once, and the
/// equity curve's running peak.
struct Context {
    let doc: ReportDocument
    let times: [Int64]
    let values: [Double]
    let peaks: [Double]
    let t0: Int64, t1: Int64
    let orders: [Int: ReportDocument.OrderRow]
    /// The trade each order closed (by its last exit fill), for a fill's exit reason.
    let exitOf: [Int: Int]
    let entryOf: [Int: Int]

    init(_ doc: ReportDocument) {
        self.doc = doc
        times = doc.equity.map(\.time)
        values = doc.equity.map { $0.equity ?? .nan }
        var peak = -Double.infinity
        peaks = values.map { v in
            if v.isFinite { peak = max(peak, v) }
            return peak.isFinite ? peak : .nan
        }
        let chartTimes = (doc.chart?.prices ?? []).flatMap { [$0.bars.first?.time, $0.bars.last?.time] }.compactMap { $0 }
        t0 = ((times.first.map { [$0] } ?? []) + chartTimes).min() ?? 0
        t1 = ((times.last.map { [$0] } ?? []) + chartTimes).max() ?? 1
        var o: [Int: ReportDocument.OrderRow] = [:]
        for x in doc.orders { o[x.id] = x }
        orders = o
        var exits: [Int: Int] = [:], entries: [Int: Int] = [:]
        for (i, t) in doc.trades.enumerated() {
            if let e = t.exitOrder { exits[e] = i }
            if let e = t.entryOrder, entries[e] == nil { entries[e] = i }
        }
        exitOf = exits
        entryOf = entries
        var rules: [Int: Int] = [:]
        for x in doc.signals ?? [] { if let line = x.line { for o in x.orders { rules[o] = line } } }
        ruleLineOf = rules
    }

    /// The line of the rule (`when …`) whose signal sent each order.
    let ruleLineOf: [Int: Int]

    /// The line of the rule that opened trade `t`: its `when`, else the action's line.
    func ruleLine(_ t: ReportDocument.TradeRow) -> Int? { t.entryOrder.flatMap { ruleLineOf[$0] } ?? t.entryLine }

    var file: String { URL(fileURLWithPath: doc.provenance.strategyFile).lastPathComponent }

    func metric(_ key: String) -> Double? { doc.metrics[key] ?? nil }

    static func time(_ s: String?) -> Int64? { s.flatMap { UTCTime.parse(Substring($0)) } }
}

/// Number formats of the report.
enum Format {
    static func pct(_ v: Double?, _ digits: Int = 2) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.\(digits)f%%", v * 100)
    }
    static func money(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.2f", v)
    }
    static func num(_ v: Double?) -> String { v.map(ExplainNumber.format) ?? "—" }
    static func ratio(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.3f", v)
    }
    static func date(_ t: Int64) -> String {
        let s = UTCTime.format(t)
        return s.hasSuffix("T00:00:00Z") ? String(s.prefix(10)) : s.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: ":00Z", with: "")
    }
    static func date(_ s: String?) -> String { Context.time(s).map(date) ?? "—" }
}

import Foundation
import StratMarket

/// A split (value: new shares per old share, 2 for a 2-for-1) or a cash
/// dividend (value: per share), effective at `time` (the ex-date).
public struct CorporateAction: Sendable, Equatable {
    public enum Kind: String, Sendable { case split, dividend }
    public var symbol: String
    public var time: Int64
    public var kind: Kind
    public var value: Double

    public init(symbol: String, time: Int64, kind: Kind, value: Double) {
        self.symbol = symbol
        self.time = time
        self.kind = kind
        self.value = value
    }
}

public enum Adjustment: String, Sendable, CaseIterable {
    case none, splits, all
}

public enum CorporateActions {
    /// Reads `time,symbol,kind,value` rows; every defect names its line and field.
    public static func parse(_ text: String, file: String) throws -> [CorporateAction] {
        // "\r\n" is one Character in Swift: split on it as well as on "\n".
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
        guard let header = lines.first?.lowercased().split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }),
              let ti = header.firstIndex(of: "time"), let si = header.firstIndex(of: "symbol"),
              let ki = header.firstIndex(of: "kind"), let vi = header.firstIndex(of: "value") else {
            throw FetchError("\(file):1: expected the header time,symbol,kind,value")
        }
        var out: [CorporateAction] = []
        for (n, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == header.count else { throw FetchError("\(file):\(n + 1): \(f.count) fields, but the header has \(header.count)") }
            guard let t = UTCTime.parse(Substring(f[ti])) else { throw FetchError("\(file):\(n + 1): field `time`: `\(f[ti])` is not a UTC time") }
            guard let kind = CorporateAction.Kind(rawValue: f[ki].lowercased()) else {
                throw FetchError("\(file):\(n + 1): field `kind`: `\(f[ki])`; expected split or dividend")
            }
            guard let v = Double(f[vi]), v.isFinite, v > 0 else { throw FetchError("\(file):\(n + 1): field `value`: `\(f[vi])` must be a positive number") }
            guard !f[si].isEmpty else { throw FetchError("\(file):\(n + 1): field `symbol` is empty") }
            out.append(CorporateAction(symbol: f[si], time: t, kind: kind, value: v))
        }
        return out
    }

    /// Back-adjusts bars (the latest prices stay as traded): before a split of
    /// ratio r prices are divided by r and volumes multiplied by r; with `.all`,
    /// before a dividend d prices are also multiplied by 1 − d / (the close before
    /// the ex-date), the usual total-return adjustment.
    public static func adjust(_ bars: [Bar], actions: [CorporateAction], _ mode: Adjustment) -> [Bar] {
        guard mode != .none, !actions.isEmpty, !bars.isEmpty else { return bars }
        var priceFactor = 1.0, volumeFactor = 1.0
        var out = bars
        var pending = actions.filter { mode == .all || $0.kind == .split }.sorted { $0.time > $1.time }[...]
        // Walk backwards: a factor applies to every bar before its action.
        for i in stride(from: out.count - 1, through: 0, by: -1) {
            while let a = pending.first, out[i].time < a.time {
                pending.removeFirst()
                switch a.kind {
                case .split:
                    priceFactor /= a.value
                    volumeFactor *= a.value
                case .dividend:
                    let close = bars[i].close
                    if close > a.value { priceFactor *= 1 - a.value / close }
                }
            }
            out[i].open *= priceFactor
            out[i].high *= priceFactor
            out[i].low *= priceFactor
            out[i].close *= priceFactor
            out[i].volume *= volumeFactor
        }
        return out
    }
}

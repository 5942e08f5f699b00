import Foundation
import StratMarket

/// A file of leverage brackets in the shape of Binance's
/// `GET /fapi/v1/leverageBracket` answer:
///
/// ```
/// [{"symbol": "BTCUSDT", "brackets": [
///     {"bracket": 1, "initialLeverage": 125, "notionalCap": 50000, "notionalFloor": 0, "maintMarginRatio": 0.004, "cum": 0},
///     …]}]
/// ```
///
/// (one object instead of the array, as Binance answers for one symbol, is read
/// too). Numbers may be JSON numbers or decimal strings (ccxt's `info` keeps
/// them as strings). An entry may carry `"liquidationFee": 0.0125`, the
/// liquidation (clearance) fee rate, which Binance gives in `exchangeInfo`
/// rather than here. Every defect names the file, the entry and the field.
public enum BracketFile {
    public struct Entry: Sendable, Equatable {
        public var symbol: String
        /// Ascending, contiguous from a floor of 0.
        public var brackets: [LeverageBracket]
        public var liquidationFee: Double?

        public init(symbol: String, brackets: [LeverageBracket], liquidationFee: Double? = nil) {
            self.symbol = symbol
            self.brackets = brackets
            self.liquidationFee = liquidationFee
        }
    }

    public static func parse(_ data: Data, file: String) throws -> [Entry] {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw FetchError("\(file): not JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")); expected Binance's leverageBracket answer, an array of {\"symbol\": …, \"brackets\": […]}")
        }
        let items: [Any]
        if let a = json as? [Any] { items = a } else if let o = json as? [String: Any] { items = [o] } else {
            throw FetchError("\(file): expected an array of {\"symbol\": …, \"brackets\": […]} (Binance's leverageBracket answer), found \(kind(json))")
        }
        guard !items.isEmpty else { throw FetchError("\(file): the array is empty; expected at least one symbol's brackets") }
        var out: [Entry] = []
        var seen: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let at = "\(file): entry \(i + 1)"
            guard let o = item as? [String: Any] else { throw FetchError("\(at): expected an object with `symbol` and `brackets`, found \(kind(item))") }
            guard let symbol = o["symbol"] as? String, !symbol.isEmpty,
                  !symbol.contains(where: { $0.isWhitespace || $0 == "," || $0 == "=" || $0 == ":" }) else {
                throw FetchError("\(at): `symbol` must be a symbol such as \"BTCUSDT\" (one word), found \(o["symbol"].map(kind) ?? "nothing")")
            }
            let here = "\(at) (\(symbol))"
            if let first = seen[symbol] { throw FetchError("\(here): \(symbol) is given again (first in entry \(first)); give each symbol once") }
            seen[symbol] = i + 1
            guard let rows = o["brackets"] as? [Any] else {
                throw FetchError("\(here): `brackets` must be an array of brackets, found \(o["brackets"].map(kind) ?? "nothing")")
            }
            guard !rows.isEmpty else { throw FetchError("\(here): `brackets` is empty") }
            var parsed: [(number: Int?, bracket: LeverageBracket)] = []
            for (j, row) in rows.enumerated() {
                guard let b = row as? [String: Any] else { throw FetchError("\(here) bracket \(j + 1): expected an object, found \(kind(row))") }
                let number = (try? number(b, "bracket", "\(here) bracket \(j + 1)")).map { Int($0) }
                let label = "\(here) bracket \(number.map(String.init) ?? String(j + 1))"
                parsed.append((number, LeverageBracket(notionalFloor: try Self.number(b, "notionalFloor", label),
                                                       notionalCap: try Self.number(b, "notionalCap", label),
                                                       maxLeverage: try Self.number(b, "initialLeverage", label),
                                                       maintenanceRate: try Self.number(b, "maintMarginRatio", label),
                                                       maintenanceAmount: try Self.number(b, "cum", label))))
            }
            // Binance lists brackets by number; a file may list them in any order.
            parsed.sort { ($0.number ?? 0, $0.bracket.notionalFloor) < ($1.number ?? 0, $1.bracket.notionalFloor) }
            try check(parsed, here)
            var fee: Double?
            if o["liquidationFee"] != nil {
                let f = try number(o, "liquidationFee", here)
                guard f >= 0, f < 1 else { throw FetchError("\(here): `liquidationFee` \(text(f)) must be a rate in [0, 1), e.g. 0.0125 for 1.25%") }
                fee = f
            }
            out.append(Entry(symbol: symbol, brackets: parsed.map(\.bracket), liquidationFee: fee))
        }
        return out
    }

    /// Floors and caps contiguous and ascending from 0; rates in (0, 1);
    /// leverage at least 1; each `cum` continuing the maintenance margin (the
    /// margin is the same at a bracket's floor computed either side, which is
    /// how Binance defines it: cum(n) = cum(n−1) + floor(n) × (MMR(n) − MMR(n−1))).
    static func check(_ rows: [(number: Int?, bracket: LeverageBracket)], _ here: String) throws {
        for (j, (number, b)) in rows.enumerated() {
            let at = "\(here) bracket \(number.map(String.init) ?? String(j + 1))"
            if let number, number != j + 1 { throw FetchError("\(at): brackets must be numbered 1, 2, 3, … without gaps; expected \(j + 1)") }
            guard b.maintenanceRate > 0, b.maintenanceRate < 1 else {
                throw FetchError("\(at): `maintMarginRatio` \(text(b.maintenanceRate)) must lie between 0 and 1 (e.g. 0.004 for 0.4%)")
            }
            guard b.maxLeverage >= 1 else { throw FetchError("\(at): `initialLeverage` \(text(b.maxLeverage)) must be at least 1") }
            guard b.maintenanceAmount >= 0 else { throw FetchError("\(at): `cum` \(text(b.maintenanceAmount)) must not be negative") }
            guard b.notionalCap > b.notionalFloor else {
                throw FetchError("\(at): `notionalCap` \(text(b.notionalCap)) must be above `notionalFloor` \(text(b.notionalFloor))")
            }
            if j == 0 {
                guard b.notionalFloor == 0 else { throw FetchError("\(at): the first bracket's `notionalFloor` must be 0, found \(text(b.notionalFloor))") }
                guard b.maintenanceAmount == 0 else { throw FetchError("\(at): the first bracket's `cum` must be 0, found \(text(b.maintenanceAmount))") }
                continue
            }
            let prev = rows[j - 1].bracket
            guard b.notionalFloor == prev.notionalCap else {
                throw FetchError("\(at): `notionalFloor` \(text(b.notionalFloor)) must equal the previous bracket's `notionalCap` \(text(prev.notionalCap)) (brackets are contiguous and ascending)")
            }
            let expected = prev.maintenanceAmount + b.notionalFloor * (b.maintenanceRate - prev.maintenanceRate)
            guard abs(b.maintenanceAmount - expected) <= max(0.01, 1e-9 * abs(expected)) else {
                throw FetchError("\(at): `cum` \(text(b.maintenanceAmount)) does not continue the maintenance margin: expected \(text(expected)) (previous cum \(text(prev.maintenanceAmount)) + notionalFloor × (maintMarginRatio − previous maintMarginRatio))")
            }
        }
    }

    /// A JSON number or a decimal string.
    static func number(_ o: [String: Any], _ key: String, _ at: String) throws -> Double {
        let v: Double?
        switch o[key] {
        case let n as NSNumber: v = n.doubleValue
        case let s as String: v = Double(s.trimmingCharacters(in: .whitespaces))
        case nil: throw FetchError("\(at): `\(key)` is missing")
        default: v = nil
        }
        guard let v, v.isFinite else { throw FetchError("\(at): `\(key)` must be a number, found \(o[key].map(kind) ?? "nothing")") }
        return v
    }

    static func kind(_ v: Any) -> String {
        switch v {
        case is String: "a string \"\(v)\""
        case let n as NSNumber: "the number \(n)"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case is NSNull: "null"
        default: "\(type(of: v))"
        }
    }

    static func text(_ v: Double) -> String { NumberText.readable(v) }
}

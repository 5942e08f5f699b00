import Foundation
import StratMarket

/// A batch's rows, best first: CSV, JSON and the table of the best K.
public struct BatchReport: Sendable {
    public var strategy: String
    public var objective: Objective
    /// The inputs and settings that vary, in the order the batch named them.
    public var inputNames: [String]
    public var settingNames: [String]
    /// Finished points, best first.
    public var rows: [PointResult]
    /// Points the batch did not finish (stopped).
    public var missing: Int
    /// The random seed, when the points were drawn.
    public var seed: UInt64?

    public init(strategy: String, objective: Objective, inputNames: [String], settingNames: [String], results: [PointResult?], seed: UInt64? = nil) {
        self.strategy = strategy
        self.objective = objective
        self.inputNames = inputNames
        self.settingNames = settingNames
        let finished = results.compactMap { $0 }
        rows = objective.ranking(finished).map { finished[$0] }
        missing = results.count - finished.count
        self.seed = seed
    }

    public static let metricNames = ["final_equity", "total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown",
                                     "trades", "win_rate", "profit_factor", "exposure"]

    static func metrics(_ r: PointResult) -> [Double?] {
        [r.finalEquity, r.totalReturn, r.cagr, r.sharpe, r.sortino, r.calmar, r.maxDrawdown, Double(r.trades), r.winRate, r.profitFactor, r.exposure]
    }

    func values(_ r: PointResult) -> [String] {
        inputNames.map { n in r.point.inputs.first { $0.name == n }?.value ?? "" }
            + settingNames.map { n in r.point.settings.first { $0.name == n }?.value ?? "" }
    }

    /// The metrics as text: trades a whole number, the rest `number`.
    static func metricTexts(_ r: PointResult) -> [String] {
        zip(metricNames, metrics(r)).map { name, v in name == "trades" ? "\(r.trades)" : number(v) }
    }

    /// Every number as its shortest round-trip text (a row equals
    /// `strat backtest --set …` for its point to the last bit); empty for none.
    static func number(_ v: Double?) -> String {
        guard let v, v.isFinite else { return v.map { $0.isNaN ? "nan" : $0 > 0 ? "inf" : "-inf" } ?? "" }
        var out: [UInt8] = []
        NumberText.append(v, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `s` as a JSON string literal.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// `number`, or null for none or a non-finite value (JSON has no NaN).
    static func jsonNumber(_ v: Double?) -> String { v.map { $0.isFinite ? number($0) : "null" } ?? "null" }

    public func csv() -> String {
        var s = (["rank"] + inputNames + settingNames + Self.metricNames).joined(separator: ",") + "\n"
        for (i, r) in rows.enumerated() {
            s += (["\(i + 1)"] + values(r).map(Self.csvField) + Self.metricTexts(r)).joined(separator: ",") + "\n"
        }
        return s
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// `extra`: more top-level members, already JSON (the overfitting guards).
    public func json(extra: [(String, String)] = []) -> String {
        let str = Self.jsonString, num = Self.jsonNumber
        var s = "{\n  \"strategy\": \(str(strategy)),\n  \"objective\": \(str(objective.rawValue)),\n"
        if let seed { s += "  \"seed\": \(seed),\n" }
        s += "  \"points\": \(rows.count + missing),\n  \"missing\": \(missing),\n"
        for (k, v) in extra { s += "  \(str(k)): \(v),\n" }
        s += "  \"rows\": ["
        for (i, r) in rows.enumerated() {
            s += i == 0 ? "\n" : ",\n"
            s += "    {\"rank\": \(i + 1), \"inputs\": {"
            s += r.point.inputs.map { "\(str($0.name)): \(str($0.value))" }.joined(separator: ", ")
            s += "}, \"settings\": {" + r.point.settings.map { "\(str($0.name)): \(str($0.value))" }.joined(separator: ", ") + "}"
            for (name, v) in zip(Self.metricNames, Self.metrics(r)) { s += ", \(str(name)): \(name == "trades" ? "\(r.trades)" : num(v))" }
            if let e = r.equity {
                s += ", \"equity\": [" + e.map { "[\($0.time), \(num($0.equity))]" }.joined(separator: ", ") + "]"
            }
            s += "}"
        }
        s += rows.isEmpty ? "]" : "\n  ]"
        // Appended for `strat report`: what the file is, and the varied inputs in the batch's order.
        s += ",\n  \"kind\": \"batch\",\n  \"varied_inputs\": [" + inputNames.map(str).joined(separator: ", ") + "]\n}\n"
        return s
    }

    /// The best `k` rows as an aligned table.
    public func table(top k: Int) -> String {
        let head = ["#"] + inputNames + settingNames + ["sharpe", "total_return", "max_drawdown", "trades", "final_equity"]
        var lines = [head]
        for (i, r) in rows.prefix(k).enumerated() {
            func f(_ v: Double?, _ digits: Int) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "—" }
            lines.append(["\(i + 1)"] + values(r) + [f(r.sharpe, 3), f(r.totalReturn * 100, 2) + "%", f(r.maxDrawdown * 100, 2) + "%",
                                                    "\(r.trades)", f(r.finalEquity, 2)])
        }
        let widths = head.indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        return lines.map { row in
            row.enumerated().map { c, cell in c == 0 || c > inputNames.count + settingNames.count
                ? String(repeating: " ", count: widths[c] - cell.count) + cell
                : cell + String(repeating: " ", count: widths[c] - cell.count) }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

import Foundation
import StratSema

/// The valid ranges of the numeric options (Docs/Limits.md, "Data and options").
/// Each is checked before anything is read (`BacktestOptions.validate`, a
/// command's `validate()`), with the range in the message.
public enum OptionLimits {
    /// Starting cash: above 0 and small enough that equity sums stay exact to the cent.
    public static let maxCapital = 1e15
    /// Fees, spreads and fixed slippage are basis points of the price: below 100%.
    public static let maxBps = 10_000.0
    /// linear:K and sqrt:K move the price by K × participation (or its root): K ≤ 1.
    public static let maxSlippageK = 1.0
    /// One week, in milliseconds.
    public static let maxLatency: Int64 = 604_800_000
    /// One-second bars for a leap year.
    public static let maxPeriodsPerYear = 31_622_400.0
    /// Prices and quantities beyond this are not a tick or lot size.
    public static let maxStep = 1e9
    /// A yearly borrow rate in percent: 1,000% (hard-to-borrow shares reach hundreds).
    public static let maxBorrowRate = 1_000.0
}

/// `--name` must be a finite number in a range; the message names the range.
/// `above` excludes the lower bound, `below` the upper.
public func checkOption(_ name: String, _ value: Double?, from lower: Double, above: Bool = false,
                        to upper: Double, below: Bool = false, unit: String = "") throws(RunError) {
    guard let v = value else { return }
    let low = above ? v > lower : v >= lower, high = below ? v < upper : v <= upper
    guard v.isFinite, low, high else {
        let range = (above ? "above \(number(lower))" : "from \(number(lower))")
            + (below ? " to less than \(number(upper))" : (above ? " and at most \(number(upper))" : " to \(number(upper))"))
        throw .invalidOption("\(name) must be \(unit.isEmpty ? "a number" : unit) \(range), got \(number(v))")
    }
}

/// A whole-number option in a closed range.
public func checkOption(_ name: String, _ value: Int64?, from lower: Int64, to upper: Int64, unit: String = "a whole number") throws(RunError) {
    guard let v = value else { return }
    guard v >= lower, v <= upper else { throw .invalidOption("\(name) must be \(unit) from \(lower) to \(upper), got \(v)") }
}

public func checkOption(_ name: String, _ value: Int?, from lower: Int, to upper: Int, unit: String = "a whole number") throws(RunError) {
    try checkOption(name, value.map(Int64.init), from: Int64(lower), to: Int64(upper), unit: unit)
}

/// 20000, 0.5, 1e+308, nan, inf: as a person writes them.
func number(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    if v == v.rounded(), abs(v) < 1e16 { return String(Int64(v)) }
    return "\(v)"
}

/// `--set NAME=VALUE` against the input's declared range, the numbers written
/// as the input's type reads (2%, 4h, 20), before the run checks it again.
func checkInputValue(name: String, type: String, value v: Double, min lo: Double?, max hi: Double?) throws(RunError) {
    guard v.isFinite else { throw .invalidInput("--set \(name): must be a finite \(type) value, got \(number(v))") }
    if (lo.map { v < $0 } ?? false) || (hi.map { v > $0 } ?? false) {
        let range = "\(lo.map { inputText($0, type) } ?? "")...\(hi.map { inputText($0, type) } ?? "")"
        throw .invalidInput("--set \(name): \(inputText(v, type)) is outside the declared range \(range) of input `\(name)`")
    }
}

/// An input value as it is written in a strategy: `2%` for a Ratio, `4h` for a
/// Duration, `true` for a Bool, else the number.
func inputText(_ v: Double, _ type: String) -> String {
    switch type {
    case "Ratio": return String(format: "%.10g", v * 100) + "%"
    case "Duration" where v == v.rounded() && abs(v) < 1e15, "Timeframe" where v == v.rounded() && abs(v) < 1e15: return formatDuration(Int64(v))
    case "Bool": return v != 0 ? "true" : "false"
    default: return String(format: "%.10g", v)
    }
}

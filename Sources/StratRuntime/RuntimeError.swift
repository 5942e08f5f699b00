import StratIR
import StratMarket

/// Why a compiled strategy cannot run with the given inputs and data.
public struct RuntimeError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Input values for a run: the declared defaults, with overrides checked
/// against each input's type and declared range.
public enum InputBinding {
    public static func resolve(_ inputs: [IRInput], overrides: [String: Double]) throws -> [Double] {
        for name in overrides.keys.sorted() where !inputs.contains(where: { $0.name == name }) {
            let known = inputs.map(\.name).joined(separator: ", ")
            throw RuntimeError("no input named `\(name)`" + (known.isEmpty ? "; this strategy declares none" : "; the inputs are \(known)"))
        }
        return try inputs.map { i in
            guard let v = overrides[i.name] else { return i.defaultValue }
            guard v.isFinite else { throw RuntimeError("input `\(i.name)` must be a finite number") }
            switch i.type {
            case "Int" where v != v.rounded():
                throw RuntimeError("input `\(i.name)` is an Int; \(v) is not a whole number")
            case "Bool" where v != 0 && v != 1:
                throw RuntimeError("input `\(i.name)` is a Bool; use true or false")
            default: break
            }
            if let lo = i.min, v < lo { throw RuntimeError("input `\(i.name)` = \(v) is below its declared range \(lo)...\(i.max ?? lo)") }
            if let hi = i.max, v > hi { throw RuntimeError("input `\(i.name)` = \(v) is above its declared range \(i.min ?? hi)...\(hi)") }
            return v
        }
    }
}

extension InputBinding {
    /// An input value as text, by the input's type: numbers, `2%` or `5bps` for a
    /// Ratio, `true`/`false` for a Bool, durations like `4h`.
    public static func parse(_ text: String, type: String) -> Double? {
        switch type {
        case "Bool": return text == "true" ? 1 : text == "false" ? 0 : nil
        case "Ratio":
            if text.hasSuffix("%") { return Double(text.dropLast()).map { $0 / 100 } }
            if text.hasSuffix("bps") { return Double(text.dropLast(3)).map { $0 / 10_000 } }
            return Double(text)
        case "Duration", "Timeframe":
            return DurationText.seconds(text) ?? Double(text)
        default:
            return Double(text).flatMap { $0.isFinite ? $0 : nil }
        }
    }
}

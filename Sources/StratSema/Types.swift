import StratSyntax

/// How early a value is known: at compile time, before the run (an input the batch
/// runner may sweep), or only bar by bar. `const < input < series`.
public enum Qualifier: Int, Comparable, Sendable, Codable {
    case const, input, series
    public static func < (a: Qualifier, b: Qualifier) -> Bool { a.rawValue < b.rawValue }
}

/// What a value measures. Arithmetic follows the units: `close - open` is a Price
/// (a distance), `close / open` a Ratio, `qty * price` Money; `close + volume` is an error.
public indirect enum Dimension: Hashable, Sendable {
    case price, qty, money, volume, ratio, int, float, bool, duration, timeframe, time, symbol
    case tuple([String], [Dimension])
    /// A value whose mistake was already reported; it never causes another error.
    case error

    public var name: String {
        switch self {
        case .price: "Price"
        case .qty: "Qty"
        case .money: "Money"
        case .volume: "Volume"
        case .ratio: "Ratio"
        case .int: "Int"
        case .float: "Float"
        case .bool: "Bool"
        case .duration: "Duration"
        case .timeframe: "Timeframe"
        case .time: "Time"
        case .symbol: "Symbol"
        case .tuple(let names, _): "(" + names.joined(separator: ", ") + ")"
        case .error: "<error>"
        }
    }

    /// Dimensionless numbers: they scale other quantities without changing their unit.
    public var isScalar: Bool { self == .int || self == .float || self == .ratio }
    public var isNumeric: Bool {
        switch self {
        case .price, .qty, .money, .volume, .ratio, .int, .float, .duration: true
        default: false
        }
    }

    /// Type names a user may write in annotations (`input x: Price = 100`).
    public static func named(_ s: String) -> Dimension? {
        switch s {
        case "Price": .price
        case "Qty": .qty
        case "Money": .money
        case "Volume": .volume
        case "Ratio", "Percent": .ratio
        case "Int": .int
        case "Float": .float
        case "Bool": .bool
        case "Duration": .duration
        case "Timeframe": .timeframe
        default: nil
        }
    }
}

/// The type of an expression: qualifier × dimension × timeframe.
public struct SType: Hashable, Sendable, CustomStringConvertible {
    public var qualifier: Qualifier
    public var dim: Dimension
    /// A number literal (or constant arithmetic on literals) has no unit yet and takes
    /// the unit of what it meets: `close > 100` compares Prices.
    public var untyped: Bool = false
    /// The bar clock of a series in seconds; nil is the strategy's base timeframe.
    public var clock: Int64? = nil

    public init(_ qualifier: Qualifier, _ dim: Dimension, untyped: Bool = false, clock: Int64? = nil) {
        self.qualifier = qualifier; self.dim = dim; self.untyped = untyped; self.clock = clock
    }

    public static let error = SType(.const, .error)
    public var isError: Bool { dim == .error }

    public var description: String {
        let q = switch qualifier { case .const: "const"; case .input: "input"; case .series: "series" }
        let tf = clock.map { " @" + formatDuration($0) } ?? ""
        return "\(q) \(dim.name)\(tf)"
    }
}

/// `3600` → `1h`; used in messages, summaries and the IR printer.
public func formatDuration(_ seconds: Int64) -> String {
    for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60)] where seconds % size == 0 && seconds >= size {
        return "\(seconds / size)\(unit)"
    }
    return "\(seconds)s"
}

/// Bar fields available in every expression.
public enum BarField: String, CaseIterable, Sendable, Codable {
    case open, high, low, close, volume, time, hl2, hlc3, ohlc4

    public var dimension: Dimension {
        switch self {
        case .volume: .volume
        case .time: .time
        default: .price
        }
    }
}

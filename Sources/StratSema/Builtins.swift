import StratSyntax

/// Signatures of the built-in functions: indicators (TA-Lib names and argument
/// orders), signal helpers, math, calendar and cross-sectional functions. The runtime
/// implements them; the checker needs their types and their warm-up (TA-Lib's
/// "lookback": the index of the first value that is not na).
public struct Builtin: Sendable {
    public enum Category: String, Sendable { case indicator, signal, math, calendar, crossSectional }

    public enum ParamKind: Sendable, Equatable {
        /// A value of any qualifier; `numeric` allows any numeric dimension.
        case series(DimRule)
        /// A window length: an Int known before the run (const or input), at least `min`.
        case length(min: Int)
        /// A scalar known before the run (const or input), e.g. the band width of bbands.
        case number
    }

    public enum DimRule: Sendable, Equatable {
        case numeric
        case bool
        /// Numeric, and the same dimension as parameter 0 (crossover, correl, min, max).
        case sameAsFirst
        /// Dimensionless (sqrt, log, exp, pow).
        case scalar
        /// A Time: `time` or a date (hour, dayofweek, …).
        case time
    }

    public enum Result: Sendable {
        case fixed(Dimension)
        /// The dimension of parameter `index`.
        case sameAs(Int)
        /// A tuple of outputs sharing one rule.
        case tuple([String], Dimension?)   // nil: same as parameter 0
        /// A tuple whose outputs differ in dimension (supertrend's line and direction).
        case tupleOf([String], [Dimension])
    }

    public struct Param: Sendable {
        public var name: String
        public var kind: ParamKind
        public var defaultValue: Double?
        /// The smallest value a `number` parameter takes (sar's factors are at least 0).
        public var minimum: Double? = nil
        /// The dimension a `number` parameter must have; nil: a plain number.
        /// vwap's anchor is a Duration (`1w`), in seconds.
        public var dimension: Dimension? = nil
    }

    public var name: String
    public var params: [Param]
    public var result: Result
    public var category: Category
    /// Bar fields the indicator reads besides its explicit arguments (atr reads high, low, close).
    public var implicitFields: [BarField]
    /// Lookback from the values of the non-series parameters, in parameter order.
    public var lookback: @Sendable ([Int]) -> Int
    public var summary: String

    public var outputNames: [String] {
        switch result {
        case .tuple(let names, _), .tupleOf(let names, _): names
        default: []
        }
    }
}

extension Builtin {
    private static func s(_ name: String = "src", _ rule: DimRule = .numeric) -> Param { Param(name: name, kind: .series(rule)) }
    private static func n(_ name: String = "length", min: Int = 1, _ def: Double? = nil) -> Param {
        Param(name: name, kind: .length(min: min), defaultValue: def)
    }
    private static func make(_ name: String, _ params: [Param], _ result: Result, cat: Category = .indicator,
                             implicit: [BarField] = [], _ summary: String, lookback: @escaping @Sendable ([Int]) -> Int) -> Builtin {
        Builtin(name: name, params: params, result: result, category: cat, implicitFields: implicit,
                lookback: lookback, summary: summary)
    }

    static let hlc: [BarField] = [.high, .low, .close]
    static let hlcv: [BarField] = [.high, .low, .close, .volume]

    /// Every built-in, by name.
    public static let all: [String: Builtin] = {
        var list: [Builtin] = [
            make("sma", [s(), n()], .sameAs(0), "simple moving average") { $0[0] - 1 },
            make("ema", [s(), n()], .sameAs(0), "exponential moving average, seeded with the SMA of the first n values") { $0[0] - 1 },
            make("wma", [s(), n()], .sameAs(0), "linearly weighted moving average") { $0[0] - 1 },
            make("dema", [s(), n()], .sameAs(0), "double exponential moving average") { 2 * ($0[0] - 1) },
            make("tema", [s(), n()], .sameAs(0), "triple exponential moving average") { 3 * ($0[0] - 1) },
            make("hma", [s(), n()], .sameAs(0), "Hull moving average") { ($0[0] - 1) + (Int(Double($0[0]).squareRoot()) - 1) },
            make("rma", [s(), n()], .sameAs(0), "Wilder's moving average (alpha = 1/n), seeded with the SMA") { $0[0] - 1 },
            make("kama", [s(), n()], .sameAs(0), "Kaufman adaptive moving average") { $0[0] },
            make("vwap", [Param(name: "anchor", kind: .number, defaultValue: 86_400, minimum: 1, dimension: .duration)],
                 .fixed(.price), implicit: [.high, .low, .close, .volume, .time],
                 "volume-weighted average price, restarting each UTC period of `anchor` (default 1d; weeks from Monday)") { _ in 0 },
            make("rsi", [s(), n()], .fixed(.float), "relative strength index (Wilder), 0…100") { $0[0] },
            make("cmo", [s(), n()], .fixed(.float), "Chande momentum oscillator, -100…100") { $0[0] },
            make("roc", [s(), n()], .fixed(.float), "rate of change in percent: (src / src[n] - 1) * 100") { $0[0] },
            make("mom", [s(), n()], .sameAs(0), "momentum: src - src[n]") { $0[0] },
            make("stddev", [s(), n()], .sameAs(0), "population standard deviation") { $0[0] - 1 },
            make("variance", [s(), n()], .fixed(.float), "population variance") { $0[0] - 1 },
            make("zscore", [s(), n()], .fixed(.float), "(src - sma) / stddev") { $0[0] - 1 },
            make("percentrank", [s(), n()], .fixed(.float), "percent of the previous n values below src") { $0[0] },
            make("linreg_slope", [s(), n()], .sameAs(0), "slope of the least-squares line, per bar") { $0[0] - 1 },
            make("linreg", [s(), n()], .sameAs(0), "the least-squares line's value on this bar") { $0[0] - 1 },
            make("linreg_intercept", [s(), n()], .sameAs(0), "the least-squares line's value on the oldest bar of the window") { $0[0] - 1 },
            make("linreg_angle", [s(), n()], .fixed(.float), "the least-squares line's slope per bar as an angle in degrees") { $0[0] - 1 },
            make("tsf", [s(), n()], .sameAs(0), "time series forecast: the least-squares line one bar ahead") { $0[0] - 1 },
            make("correl", [s("a"), s("b", .sameAsFirst), n()], .fixed(.float), "Pearson correlation of a and b") { $0[0] - 1 },
            make("highest", [s(), n()], .sameAs(0), "highest value of the last n bars") { $0[0] - 1 },
            make("lowest", [s(), n()], .sameAs(0), "lowest value of the last n bars") { $0[0] - 1 },
            make("atr", [n()], .fixed(.price), implicit: hlc, "average true range (Wilder)") { $0[0] },
            make("natr", [n()], .fixed(.float), implicit: hlc, "ATR as a percent of close") { $0[0] },
            make("trange", [], .fixed(.price), implicit: hlc, "true range") { _ in 1 },
            make("cci", [n()], .fixed(.float), implicit: hlc, "commodity channel index") { $0[0] - 1 },
            make("willr", [n()], .fixed(.float), implicit: hlc, "Williams %R, -100…0") { $0[0] - 1 },
            make("adx", [n()], .fixed(.float), implicit: hlc, "average directional index") { 2 * $0[0] - 1 },
            make("plus_di", [n()], .fixed(.float), implicit: hlc, "plus directional indicator") { $0[0] },
            make("minus_di", [n()], .fixed(.float), implicit: hlc, "minus directional indicator") { $0[0] },
            make("aroon", [n()], .tuple(["down", "up"], .float), implicit: [.high, .low], "Aroon down and up, 0…100") { $0[0] },
            make("obv", [], .fixed(.volume), implicit: [.close, .volume], "on-balance volume") { _ in 0 },
            make("bop", [], .fixed(.float), implicit: [.open, .high, .low, .close],
                 "balance of power: (close - open) / (high - low), -1…1") { _ in 0 },
            make("ad", [], .fixed(.volume), implicit: hlcv, "Chaikin accumulation/distribution line") { _ in 0 },
            make("adosc", [n("fast"), n("slow")], .fixed(.volume), implicit: hlcv,
                 "Chaikin oscillator: EMA(fast) - EMA(slow) of the A/D line") { max($0[0], $0[1]) - 1 },
            make("trix", [s(), n()], .fixed(.float), "one-bar rate of change in percent of a triple EMA") { 3 * ($0[0] - 1) + 1 },
            make("ppo", [s(), n("fast"), n("slow")], .fixed(.float),
                 "percentage price oscillator: (SMA(fast) - SMA(slow)) / SMA(slow) * 100") { max($0[0], $0[1]) - 1 },
            make("stochrsi", [s(), n(), n("k"), n("d")], .tuple(["fastk", "fastd"], .float),
                 "stochastic RSI: fast %K over k bars of RSI(length) and %D = SMA(%K, d), 0…100") { $0[0] + $0[1] - 1 + $0[2] - 1 },
            make("ultosc", [n("short"), n("medium"), n("long")], .fixed(.float), implicit: hlc,
                 "ultimate oscillator over three periods, 0…100") { max($0[0], $0[1], $0[2]) },
            make("sar", [Param(name: "acceleration", kind: .number, defaultValue: 0.02, minimum: 0),
                         Param(name: "maximum", kind: .number, defaultValue: 0.2, minimum: 0)],
                 .fixed(.price), implicit: [.high, .low], "parabolic SAR: the trailing stop in force on this bar") { _ in 1 },
            make("donchian", [n()], .tuple(["upper", "middle", "lower"], .price), implicit: [.high, .low],
                 "Donchian channel: highest high, lowest low of n bars and their mean") { $0[0] - 1 },
            make("keltner", [n("length", min: 2, 20), n("atrPeriod", 10), Param(name: "mult", kind: .number, defaultValue: 2)],
                 .tuple(["upper", "middle", "lower"], .price), implicit: hlc,
                 "Keltner channel (TA-Lib's KC): EMA(hlc3, length) ± mult × ATR(atrPeriod)") { max($0[0] - 1, $0[1]) },
            make("supertrend", [n("atrPeriod", min: 2, 10), Param(name: "factor", kind: .number, defaultValue: 3, minimum: 0)],
                 .tupleOf(["line", "direction"], [.price, .int]), implicit: hlc,
                 "Supertrend line and direction (+1 up, -1 down, as TA-Lib)") { $0[0] },
            make("ichimoku", [n("tenkan", 9), n("kijun", 26), n("senkou", 52)],
                 .tuple(["tenkan", "kijun", "senkou_a", "senkou_b"], .price), implicit: [.high, .low],
                 "Ichimoku: tenkan, kijun, and senkou A/B displaced forward by kijun bars (no chikou)") { max($0[0], $0[1], $0[2]) - 1 + $0[1] },
            make("pivots", [], .tuple(["p", "r1", "r2", "r3", "s1", "s2", "s3"], .price), implicit: hlc,
                 "classic pivot points of this bar (the last closed one with @1d)") { _ in 0 },
            make("pivots_fib", [], .tuple(["p", "r1", "r2", "r3", "s1", "s2", "s3"], .price), implicit: hlc,
                 "Fibonacci pivot points of this bar (the last closed one with @1d)") { _ in 0 },
            make("pivots_camarilla", [], .tuple(["p", "r1", "r2", "r3", "r4", "s1", "s2", "s3", "s4"], .price), implicit: hlc,
                 "Camarilla pivot points of this bar (the last closed one with @1d)") { _ in 0 },
            make("mfi", [n()], .fixed(.float), implicit: [.high, .low, .close, .volume], "money flow index") { $0[0] },
            make("macd", [s(), n("fast"), n("slow"), n("signal")], .tuple(["macd", "signal", "hist"], nil),
                 "MACD line, signal line and histogram") { max($0[0], $0[1]) - 1 + $0[2] - 1 },
            make("bbands", [s(), n(), Param(name: "k", kind: .number, defaultValue: 2)], .tuple(["upper", "middle", "lower"], nil),
                 "Bollinger bands: SMA ± k population standard deviations") { $0[0] - 1 },
            make("stoch", [n("k"), n("smoothK"), n("d")], .tuple(["k", "d"], .float), implicit: hlc,
                 "slow stochastic %K and %D") { $0[0] - 1 + $0[1] - 1 + $0[2] - 1 },
            make("crossover", [s("a"), s("b", .sameAsFirst)], .fixed(.bool), cat: .signal, "a crosses above b on this bar") { _ in 1 },
            make("crossunder", [s("a"), s("b", .sameAsFirst)], .fixed(.bool), cat: .signal, "a crosses below b on this bar") { _ in 1 },
            make("rising", [s(), n()], .fixed(.bool), cat: .signal, "src rose on each of the last n bars") { $0[0] },
            make("falling", [s(), n()], .fixed(.bool), cat: .signal, "src fell on each of the last n bars") { $0[0] },
            make("barssince", [s("cond", .bool)], .fixed(.int), cat: .signal, "bars since cond was last true") { _ in 0 },
            make("valuewhen", [s("cond", .bool), s(), n("occurrence", min: 0)], .sameAs(1), cat: .signal,
                 "src on the k-th most recent bar where cond was true") { _ in 0 },
            make("change", [s(), n(min: 1, 1)], .sameAs(0), cat: .signal, "src - src[n]") { $0[0] },
            make("pct_change", [s(), n(min: 1, 1)], .fixed(.ratio), cat: .signal, "src / src[n] - 1") { $0[0] },
            make("abs", [s("x")], .sameAs(0), cat: .math, "absolute value") { _ in 0 },
            make("min", [s("a"), s("b", .sameAsFirst)], .sameAs(0), cat: .math, "smaller of a and b") { _ in 0 },
            make("max", [s("a"), s("b", .sameAsFirst)], .sameAs(0), cat: .math, "larger of a and b") { _ in 0 },
            make("clamp", [s("x"), s("lo", .sameAsFirst), s("hi", .sameAsFirst)], .sameAs(0), cat: .math, "x limited to lo…hi") { _ in 0 },
            make("round", [s("x")], .sameAs(0), cat: .math, "nearest whole number") { _ in 0 },
            make("floor", [s("x")], .sameAs(0), cat: .math, "round down") { _ in 0 },
            make("ceil", [s("x")], .sameAs(0), cat: .math, "round up") { _ in 0 },
            make("sign", [s("x")], .fixed(.int), cat: .math, "-1, 0 or 1") { _ in 0 },
            make("sqrt", [s("x", .scalar)], .fixed(.float), cat: .math, "square root") { _ in 0 },
            make("log", [s("x", .scalar)], .fixed(.float), cat: .math, "natural logarithm") { _ in 0 },
            make("exp", [s("x", .scalar)], .fixed(.float), cat: .math, "e to the power x") { _ in 0 },
            make("pow", [s("x", .scalar), s("y", .scalar)], .fixed(.float), cat: .math, "x to the power y") { _ in 0 },
            make("nz", [s("x"), s("default", .sameAsFirst)], .sameAs(0), cat: .math, "x, or default while x is na") { _ in 0 },
            make("isna", [s("x")], .fixed(.bool), cat: .math, "true while x is na (during warm-up)") { _ in 0 },
            make("hour", [s("t", .time)], .fixed(.int), cat: .calendar, "hour of the UTC time t, 0…23") { _ in 0 },
            make("minute", [s("t", .time)], .fixed(.int), cat: .calendar, "minute of the UTC time t, 0…59") { _ in 0 },
            make("dayofweek", [s("t", .time)], .fixed(.int), cat: .calendar,
                 "ISO day of the week of the UTC time t: 1 = Monday … 7 = Sunday (Pine: 1 = Sunday)") { _ in 0 },
            make("dayofmonth", [s("t", .time)], .fixed(.int), cat: .calendar, "day of the month of the UTC time t, 1…31") { _ in 0 },
            make("month", [s("t", .time)], .fixed(.int), cat: .calendar, "month of the UTC time t, 1…12") { _ in 0 },
            make("year", [s("t", .time)], .fixed(.int), cat: .calendar, "year of the UTC time t") { _ in 0 },
            make("rank", [s("x")], .fixed(.int), cat: .crossSectional,
                 "rank of x across the universe on this bar: 1 is the largest") { _ in 0 },
        ]
        list.sort { $0.name < $1.name }
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
    }()
}

/// Sizing forms accepted after `size` (and only there).
public enum SizingForm: String, CaseIterable, Sendable, Codable {
    /// `size qty(0.5)`: a fixed quantity.
    case qty
    /// `size notional(1000)`: a fixed amount of quote currency.
    case notional
    /// `size 10%` or `size equity(10%)`: a fraction of equity.
    case equity
    /// `size risk(1%, stop: close - 2 * atr(14))`: lose this fraction of equity if the stop is hit.
    case risk
    /// `size volatility(1%, atr(14))`: a fraction of equity per unit of a price distance.
    case volatility
    /// `size kelly(0.5, cap: 20%)`: a fraction of the Kelly bet from the closed trades so far, capped.
    case kelly
}

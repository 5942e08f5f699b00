import Foundation
import StratBacktest
import StratData
import StratEngine
import StratIR
import StratMarket
import StratRuntime
import StratSyntax

/// The engine's and the backtest's options, as `strat backtest` takes them
/// (everything but the strategy and its data). In JSON each is named as the
/// CLI's flag in snake case; unknown keys and wrong types are refused.
///
///     var o = try BacktestOptions.decode(Data(#"{"capital": 10000, "lot_size": 1}"#.utf8))
///     try o.validate()
///     let config = try o.config(for: strategy, file: "x.strat")
public struct BacktestOptions: Codable, Sendable, Equatable {
    public var capital = 10_000.0
    /// Trade from this date or time (UTC); the bars before it only warm up.
    public var from: String?
    /// Basis points, maker and taker alike (default: 0 on spot; 2 maker / 5 taker on perpetuals).
    public var fees: Double?
    public var makerFees: Double?
    public var takerFees: Double?
    /// none, fixed:BPS, linear:K or sqrt:K.
    public var slippage = "none"
    public var halfSpread = 0.0
    /// next-open or close.
    public var fill = "next-open"
    public var lotSize: Double?
    public var tickSize: Double?
    /// Milliseconds.
    public var latency: Int64 = 0
    /// A percentage of each bar's volume.
    public var participation: Double?
    public var session = "24/7"
    /// A file of holidays, one YYYY-MM-DD per line.
    public var holidays: String?
    public var periodsPerYear: Double?
    public var minQuality = 80.0
    public var strict = false
    public var adjust = Adjustment.none
    /// SYMBOL=FILE specs.
    public var intrabar: [String] = []
    public var depth: [String] = []
    public var mark: [String] = []
    public var funding: [String] = []
    /// A file of leverage brackets.
    public var brackets: String?
    public var liquidationFee: Double?
    public var borrowRate: Double?
    public var maintenanceMargin: Double?
    public var timeUnit: BarCSV.TimeUnit?
    /// NAME=VALUE input overrides.
    public var set: [String] = []
    public var strategyName: String?

    public init() {}

    /// Each option's JSON key and kind: the one list decoding, encoding and the
    /// REPL's `--name value` words go through.
    enum Field {
        case number(WritableKeyPath<BacktestOptions, Double>)
        case optionalNumber(WritableKeyPath<BacktestOptions, Double?>)
        case whole(WritableKeyPath<BacktestOptions, Int64>)
        case text(WritableKeyPath<BacktestOptions, String>)
        case optionalText(WritableKeyPath<BacktestOptions, String?>)
        case flag(WritableKeyPath<BacktestOptions, Bool>)
        case list(WritableKeyPath<BacktestOptions, [String]>)
        case adjust, timeUnit

        var expected: String {
            switch self {
            case .number, .optionalNumber: "a number"
            case .whole: "a whole number"
            case .text, .optionalText: "a string"
            case .flag: "true or false"
            case .list: "an array of strings"
            case .adjust: "one of \(Adjustment.allCases.map(\.rawValue).joined(separator: ", "))"
            case .timeUnit: "one of \(BarCSV.TimeUnit.allCases.map(\.rawValue).joined(separator: ", "))"
            }
        }
    }

    static var fields: [(key: String, field: Field)] {
        [("capital", .number(\.capital)), ("from", .optionalText(\.from)), ("fees", .optionalNumber(\.fees)),
         ("maker_fees", .optionalNumber(\.makerFees)), ("taker_fees", .optionalNumber(\.takerFees)), ("slippage", .text(\.slippage)),
         ("half_spread", .number(\.halfSpread)), ("fill", .text(\.fill)), ("lot_size", .optionalNumber(\.lotSize)),
         ("tick_size", .optionalNumber(\.tickSize)), ("latency", .whole(\.latency)), ("participation", .optionalNumber(\.participation)),
         ("session", .text(\.session)), ("holidays", .optionalText(\.holidays)), ("periods_per_year", .optionalNumber(\.periodsPerYear)),
         ("min_quality", .number(\.minQuality)), ("strict", .flag(\.strict)), ("adjust", .adjust), ("intrabar", .list(\.intrabar)),
         ("depth", .list(\.depth)), ("mark", .list(\.mark)), ("funding", .list(\.funding)), ("brackets", .optionalText(\.brackets)),
         ("liquidation_fee", .optionalNumber(\.liquidationFee)), ("borrow_rate", .optionalNumber(\.borrowRate)),
         ("maintenance_margin", .optionalNumber(\.maintenanceMargin)), ("time_unit", .timeUnit), ("set", .list(\.set)),
         ("strategy_name", .optionalText(\.strategyName))]
    }

    /// The JSON keys, in the CLI's order.
    public static var keys: [String] { fields.map(\.key) }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue s: String) { stringValue = s }
        init?(intValue: Int) { nil }
    }

    /// Options from a JSON object; any defect is a `RunError` naming the key.
    public static func decode(_ json: Data) throws(RunError) -> BacktestOptions {
        do { return try JSONDecoder().decode(BacktestOptions.self, from: json) } catch let e as RunError { throw e } catch {
            throw .invalidOption("the options are not a JSON object of options: \(String(describing: error))")
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let fields = Self.fields
        if let unknown = c.allKeys.map(\.stringValue).sorted().first(where: { k in !fields.contains { $0.key == k } }) {
            throw RunError.unknownOptionKey(key: unknown, known: Self.keys)
        }
        for (key, field) in fields {
            let k = Key(key)
            do {
                guard c.contains(k), try !c.decodeNil(forKey: k) else { continue }
                switch field {
                case .number(let p): self[keyPath: p] = try c.decode(Double.self, forKey: k)
                case .optionalNumber(let p): self[keyPath: p] = try c.decode(Double.self, forKey: k)
                case .whole(let p): self[keyPath: p] = try c.decode(Int64.self, forKey: k)
                case .text(let p): self[keyPath: p] = try c.decode(String.self, forKey: k)
                case .optionalText(let p): self[keyPath: p] = try c.decode(String.self, forKey: k)
                case .flag(let p): self[keyPath: p] = try c.decode(Bool.self, forKey: k)
                case .list(let p): self[keyPath: p] = try c.decode([String].self, forKey: k)
                case .adjust:
                    guard let a = Adjustment(rawValue: try c.decode(String.self, forKey: k)) else { throw RunError.invalidOption("") }
                    adjust = a
                case .timeUnit:
                    guard let u = BarCSV.TimeUnit(rawValue: try c.decode(String.self, forKey: k)) else { throw RunError.invalidOption("") }
                    timeUnit = u
                }
            } catch {
                throw RunError.invalidOption("`\(key)` must be \(field.expected)")
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (key, field) in Self.fields {
            let k = Key(key)
            switch field {
            case .number(let p): try c.encode(self[keyPath: p], forKey: k)
            case .optionalNumber(let p): try c.encodeIfPresent(self[keyPath: p], forKey: k)
            case .whole(let p): try c.encode(self[keyPath: p], forKey: k)
            case .text(let p): try c.encode(self[keyPath: p], forKey: k)
            case .optionalText(let p): try c.encodeIfPresent(self[keyPath: p], forKey: k)
            case .flag(let p): try c.encode(self[keyPath: p], forKey: k)
            case .list(let p): try c.encode(self[keyPath: p], forKey: k)
            case .adjust: try c.encode(adjust.rawValue, forKey: k)
            case .timeUnit: try c.encodeIfPresent(timeUnit?.rawValue, forKey: k)
            }
        }
    }

    /// `--name value` as a command line gives it (the REPL's `:backtest`):
    /// the numbers and text `config(for:file:)` reads; not the options of data
    /// read by `PreparedRun.prepare` (stored, perpetual) nor the strategy's name.
    public mutating func assign(flag: String, _ value: String) throws(RunError) {
        let assignable = Self.fields.filter { f in
            guard !["strategy_name", "brackets", "liquidation_fee", "min_quality"].contains(f.key) else { return false }
            switch f.field {
            case .number, .optionalNumber, .whole, .text, .optionalText: return true
            default: return false
            }
        }
        let key = flag.hasPrefix("--") ? String(flag.dropFirst(2)).replacingOccurrences(of: "-", with: "_") : ""
        guard let field = assignable.first(where: { $0.key == key })?.field else {
            throw .unknownOptionKey(key: flag, known: assignable.map { "--" + $0.key.replacingOccurrences(of: "_", with: "-") })
        }
        switch field {
        case .number(let p):
            guard let v = Double(value) else { throw .invalidOption("\(flag) must be a number, got `\(value)`") }
            self[keyPath: p] = v
        case .optionalNumber(let p):
            guard let v = Double(value) else { throw .invalidOption("\(flag) must be a number, got `\(value)`") }
            self[keyPath: p] = v
        case .whole(let p):
            guard let v = Int64(value) else { throw .invalidOption("\(flag) must be a whole number, got `\(value)`") }
            self[keyPath: p] = v
        case .text(let p): self[keyPath: p] = value
        case .optionalText(let p): self[keyPath: p] = value
        default: break
        }
    }

    /// Today's ranges of `strat backtest`'s numeric options (Docs/Limits.md).
    public func validate() throws(RunError) {
        try checkOption("--capital", capital, from: 0, above: true, to: OptionLimits.maxCapital)
        for (name, v) in [("--fees", fees), ("--maker-fees", makerFees), ("--taker-fees", takerFees), ("--half-spread", halfSpread)] {
            try checkOption(name, v, from: 0, to: OptionLimits.maxBps, below: true, unit: "basis points")
        }
        guard let slip = Slippage(parsing: slippage) else {
            throw .invalidOption("--slippage must be none, fixed:BPS, linear:K or sqrt:K, got `\(slippage)`")
        }
        switch slip {
        case .none: break
        case .fixedBps(let v): try checkOption("--slippage fixed:BPS", v, from: 0, to: OptionLimits.maxBps, below: true, unit: "basis points")
        case .linear(let k), .squareRoot(let k): try checkOption("--slippage's K", k, from: 0, to: OptionLimits.maxSlippageK)
        }
        try checkOption("--latency", latency, from: 0, to: OptionLimits.maxLatency, unit: "milliseconds")
        try checkOption("--participation", participation, from: 0, above: true, to: 100, unit: "a percentage")
        try checkOption("--lot-size", lotSize, from: 0, above: true, to: OptionLimits.maxStep)
        try checkOption("--tick-size", tickSize, from: 0, above: true, to: OptionLimits.maxStep)
        try checkOption("--periods-per-year", periodsPerYear, from: 0, above: true, to: OptionLimits.maxPeriodsPerYear)
        try checkOption("--min-quality", minQuality, from: 0, to: 100, unit: "a score")
        try checkOption("--liquidation-fee", liquidationFee, from: 0, to: OptionLimits.maxBps, below: true, unit: "basis points")
        try checkOption("--borrow-rate", borrowRate, from: 0, to: OptionLimits.maxBorrowRate, unit: "a yearly percentage")
        try checkOption("--maintenance-margin", maintenanceMargin, from: 0, to: 100, below: true, unit: "a percentage")
    }

    /// The options that read files, with the paths they name (a server refuses them).
    public var filePaths: [(option: String, path: String)] {
        var out: [(String, String)] = []
        for (option, specs) in [("intrabar", intrabar), ("depth", depth), ("mark", mark), ("funding", funding)] {
            for spec in specs { out.append((option, Self.symbolAndPath(spec)?.path ?? spec)) }
        }
        if let brackets { out.append(("brackets", brackets)) }
        if let holidays { out.append(("holidays", holidays)) }
        return out
    }

    /// `SYMBOL=PATH`, or a path alone (its file name the symbol); nil when a side is empty.
    static func symbolAndPath(_ spec: String) -> (symbol: String, path: String)? {
        guard let eq = spec.firstIndex(of: "=") else { return (URL(fileURLWithPath: spec).deletingPathExtension().lastPathComponent, spec) }
        let sym = String(spec[..<eq]), path = String(spec[spec.index(after: eq)...])
        return sym.isEmpty || path.isEmpty ? nil : (sym, path)
    }

    /// `SYMBOL=FILE.csv` of an option; the message as for `--data`.
    static func symbolFile(_ spec: String) throws(RunError) -> (symbol: String, path: String) {
        guard let sp = symbolAndPath(spec) else { throw .invalidOption("--data takes SYMBOL=FILE.csv, got `\(spec)`") }
        return sp
    }

    /// The configuration these options give `strategy` (read from `file`):
    /// engine settings, input overrides, the start of trading, spot margin.
    public func config(for s: IRStrategy, file: String) throws(RunError) -> BacktestConfig {
        var config = BacktestConfig()
        config.capital = capital
        config.execution = try execution(market: s.market.kind)
        config.periodsPerYear = periodsPerYear
        config.inputs = try inputOverrides(s)
        if let from {
            guard let t = UTCTime.parse(Substring(from)) else {
                throw .invalidOption("--from \(from): expected a date or time like 2010-01-04 or 2010-01-04T14:30:00Z")
            }
            config.tradeFrom = t
        }
        if borrowRate != nil || maintenanceMargin != nil {
            guard s.market.kind == .spot, s.market.margin != .none else {
                let option = borrowRate != nil ? "--borrow-rate" : "--maintenance-margin"
                throw .invalidOption("\(option) applies to spot margin shorts (`market spot(margin: true)`); \(file) trades \(s.market.kind == .perp ? "perpetual futures" : "spot without margin")")
            }
            config.borrowRate = (borrowRate ?? 0) / 100
            config.shortMaintenance = maintenanceMargin.map { $0 > 0 ? $0 / 100 : nil } ?? SpotPortfolio.finraMaintenance
        }
        return config
    }

    /// Fees not given take the market's defaults: none on spot, Binance's base
    /// USDⓈ-M rates on perpetuals (2 bps maker, 5 bps taker).
    public func execution(market: MarketKind = .spot) throws(RunError) -> ExecutionConfig {
        var x = ExecutionConfig()
        guard let timing = FillTiming(rawValue: fill) else { throw .invalidOption("--fill must be next-open or close, got `\(fill)`") }
        x.fill = timing
        // The numbers were checked by validate().
        x.slippage = Slippage(parsing: slippage) ?? .none
        x.makerFee = (makerFees ?? fees ?? (market == .perp ? 2 : 0)) / 10_000
        x.takerFee = (takerFees ?? fees ?? (market == .perp ? 5 : 0)) / 10_000
        x.halfSpread = halfSpread / 10_000
        x.latency = latency
        if let p = participation { x.participation = p / 100 }
        x.lotSize = lotSize
        x.tickSize = tickSize
        guard var sess = TradingSession(parsing: session) else {
            throw .invalidOption("--session must be 24/7 or like 'Mon-Fri 14:30-21:00', got `\(session)`")
        }
        if let holidays {
            let text = try readTextFile(holidays)
            for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
                let t = line.trimmingCharacters(in: .whitespaces)
                if t.isEmpty || t.hasPrefix("#") { continue }
                guard t.count == 10, let ms = UTCTime.parse(Substring(t)) else {
                    throw .data(DataDefect(file: holidays, line: n + 1, message: "`\(t)` is not a date; expected YYYY-MM-DD"))
                }
                sess.holidays.insert(ms / 86_400_000)
            }
        }
        x.session = sess
        return x
    }

    /// `set`'s NAME=VALUE: numbers, `2%`, `true`/`false`, durations like `4h`,
    /// each checked against its input's type and declared range.
    func inputOverrides(_ s: IRStrategy) throws(RunError) -> [String: Double] {
        var out: [String: Double] = [:]
        for item in set {
            guard let eq = item.firstIndex(of: "=") else { throw .invalidInput("--set takes NAME=VALUE, got `\(item)`") }
            let name = String(item[..<eq]), text = String(item[item.index(after: eq)...])
            guard let input = s.inputs.first(where: { $0.name == name }) else {
                let known = s.inputs.map(\.name).joined(separator: ", ")
                throw .invalidInput("--set \(name): no such input" + (known.isEmpty ? "; the strategy declares none" : "; the inputs are \(known)"))
            }
            guard let v = InputBinding.parse(text, type: input.type) else {
                throw .invalidInput("--set \(name): `\(text)` is not a \(input.type) value")
            }
            try checkInputValue(name: name, type: input.type, value: v, min: input.min, max: input.max)
            out[name] = v
        }
        return out
    }

    /// The strategy of the file to run: `strategy_name`'s, else the only one.
    func pick(_ ir: IRProgram, file: String) throws(RunError) -> IRStrategy {
        if let name = strategyName {
            guard let s = ir.strategies.first(where: { $0.name == name }) else {
                throw .invalidOption("\(file) has no strategy `\(name)`; it has \(ir.strategies.map(\.name).joined(separator: ", "))")
            }
            return s
        }
        guard ir.strategies.count == 1 else {
            throw .invalidOption("\(file) declares \(ir.strategies.count) strategies (\(ir.strategies.map(\.name).joined(separator: ", "))); choose one with --strategy-name")
        }
        return ir.strategies[0]
    }
}

/// A text file's contents, or why not (no such file, a directory, not UTF-8,
/// the POSIX reason).
public func readTextFile(_ path: String) throws(RunError) -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .noSuchFile(path: path) }
    guard !isDirectory.boolValue else { throw .data(DataDefect(file: path, message: "is a directory; expected a file")) }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw .data(DataDefect(file: path, message: "cannot read the file: \(posixReason(error))"))
    }
    guard let text = String(data: data, encoding: .utf8) else { throw .data(DataDefect(file: path, message: "not UTF-8 text")) }
    return text
}

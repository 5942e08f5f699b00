import Foundation

/// A batch's JSON as the report reads it: what `strat batch … --out FILE.json`
/// writes, a sweep (`"kind": "batch"`) or a walk-forward (`"kind": "walk_forward"`).
///
///     switch try BatchDocument.read(data) {
///     case .sweep(let s)?: html = BatchHTMLReport.render(s)
///     case .walkForward(let w)?: html = BatchHTMLReport.render(w)
///     case nil: …                                     // a backtest's result
///     }
public enum BatchDocument: Sendable {
    case sweep(SweepDocument)
    case walkForward(WalkForwardDocument)

    /// The batch in `json`; nil for a backtest's result (no `kind`, and not a
    /// batch's shape: `rows` or `windows` beside `objective`); an error for
    /// JSON that is neither.
    public static func read(_ json: Data) throws -> BatchDocument? {
        // Reads only the members that tell the kinds apart (not the rows themselves).
        struct Probe: Decodable {
            var kind: String?
            var objective: String?
            var rows = false, windows = false, backtest = false
            enum CodingKeys: String, CodingKey { case kind, objective, rows, windows, strategy, symbols, metrics, trades, equity }
            init(from decoder: Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                kind = try c.decodeIfPresent(String.self, forKey: .kind)
                objective = try? c.decodeIfPresent(String.self, forKey: .objective)
                rows = c.contains(.rows)
                windows = c.contains(.windows)
                backtest = [.strategy, .symbols, .metrics, .trades, .equity].contains { c.contains($0) }
            }
        }
        let probe: Probe
        do { probe = try JSONDecoder().decode(Probe.self, from: json) } catch let e as DecodingError {
            if case .typeMismatch(_, let c) = e, c.codingPath.isEmpty { throw ReportError("the top level: expected an object (a backtest's or a batch's JSON)") }
            throw ReportError(ReportDocument.describe(e))
        }
        let kind = probe.kind ?? (probe.objective == nil ? nil : probe.rows ? "batch" : probe.windows ? "walk_forward" : nil)
        do {
            switch kind {
            case nil where probe.backtest: return nil
            case nil: throw ReportError("neither a backtest's result (strat backtest --json) nor a batch's (strat batch --out FILE.json): it has none of their members")
            case "batch"?: return .sweep(try JSONDecoder().decode(SweepDocument.self, from: json))
            case "walk_forward"?: return .walkForward(try JSONDecoder().decode(WalkForwardDocument.self, from: json))
            case let k?: throw ReportError("kind: `\(k)` is not one strat report reads (batch, walk_forward)")
            }
        } catch let e as DecodingError {
            throw ReportError(ReportDocument.describe(e).replacingOccurrences(of: "the JSON of `strat backtest --json`", with: "the JSON of `strat batch --out`"))
        }
    }
}

/// A sweep: every finished point best first, and the overfitting guards.
public struct SweepDocument: Decodable, Sendable {
    public var strategy: String
    public var objective: String
    public var seed: UInt64?
    public var points: Int
    public var missing: Int
    public var pbo: Guard?
    public var dsr: Guard?
    public var rows: [Row]
    /// The inputs the batch varied, in its order (absent in files written
    /// before `strat report` read batches: then the rows' names, sorted).
    public var variedInputs: [String]?

    public struct Row: Decodable, Sendable {
        public var rank: Int
        public var inputs: [String: String]
        public var settings: [String: String]
        /// The metrics of `SweepDocument.metricNames`; nil where the JSON has null.
        public var metrics: [String: Double?]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            rank = try c.decode(Int.self, forKey: Key(stringValue: "rank"))
            inputs = try c.decode([String: String].self, forKey: Key(stringValue: "inputs"))
            settings = try c.decodeIfPresent([String: String].self, forKey: Key(stringValue: "settings")) ?? [:]
            var m: [String: Double?] = [:]
            for name in SweepDocument.metricNames { m[name] = try c.decodeIfPresent(Double.self, forKey: Key(stringValue: name)) }
            metrics = m
        }
    }

    /// PBO or DSR: its figures, or `why` it was not computed.
    public struct Guard: Decodable, Sendable {
        public var why: String?
        public var probability: Double?
        public var splits: Int?
        public var blocks: Int?
        public var periods: Int?
        public var probabilityOfLoss: Double?
        public var sharpe: Double?
        public var expectedMaxSharpe: Double?
        public var trials: Int?
        enum CodingKeys: String, CodingKey { case why, probability, splits, blocks, periods, probabilityOfLoss = "probability_of_loss", sharpe, expectedMaxSharpe = "expected_max_sharpe", trials }
    }

    /// The metric columns in the order `strat batch` writes them.
    public static let metricNames = ["final_equity", "total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown",
                                     "trades", "win_rate", "profit_factor", "exposure"]

    enum CodingKeys: String, CodingKey { case strategy, objective, seed, points, missing, pbo, dsr, rows, variedInputs = "varied_inputs" }
}

/// A walk-forward: each window's chosen point and its test, and the test runs
/// chained into one out-of-sample equity curve.
public struct WalkForwardDocument: Decodable, Sendable {
    public var strategy: String?
    public var objective: String
    public var windows: [Window]
    public var outOfSample: Totals
    public var inSampleAnnualReturn: Double?
    public var outOfSampleAnnualReturn: Double?
    public var walkForwardEfficiency: Double?
    /// (time, equity); equity nil where the JSON has null.
    public var equity: [(Int64, Double?)]

    public struct Window: Decodable, Sendable {
        public var window: Int
        public var trainFrom: String, trainTo: String, testFrom: String, testTo: String
        public var chosen: String
        public var inSampleObjective: Double?
        public var inSampleReturn: Double?
        public var testReturn: Double?
        public var testSharpe: Double?
        public var testMaxDrawdown: Double?
        public var testTrades: Int
        public var testFinalEquity: Double?
        enum CodingKeys: String, CodingKey { case window, trainFrom = "train_from", trainTo = "train_to", testFrom = "test_from", testTo = "test_to", chosen, inSampleObjective = "in_sample_objective", inSampleReturn = "in_sample_return", testReturn = "test_return", testSharpe = "test_sharpe", testMaxDrawdown = "test_max_drawdown", testTrades = "test_trades", testFinalEquity = "test_final_equity" }
    }

    public struct Totals: Decodable, Sendable {
        public var finalEquity: Double?
        public var totalReturn: Double?
        public var cagr: Double?
        public var sharpe: Double?
        public var maxDrawdown: Double?
        public var trades: Int
        enum CodingKeys: String, CodingKey { case finalEquity = "final_equity", totalReturn = "total_return", cagr, sharpe, maxDrawdown = "max_drawdown", trades }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        strategy = try c.decodeIfPresent(String.self, forKey: .strategy)
        objective = try c.decode(String.self, forKey: .objective)
        windows = try c.decode([Window].self, forKey: .windows)
        outOfSample = try c.decode(Totals.self, forKey: .outOfSample)
        inSampleAnnualReturn = try c.decodeIfPresent(Double.self, forKey: .inSampleAnnualReturn)
        outOfSampleAnnualReturn = try c.decodeIfPresent(Double.self, forKey: .outOfSampleAnnualReturn)
        walkForwardEfficiency = try c.decodeIfPresent(Double.self, forKey: .walkForwardEfficiency)
        var list = try c.nestedUnkeyedContainer(forKey: .equity)
        var points: [(Int64, Double?)] = []
        while !list.isAtEnd {
            var pair = try list.nestedUnkeyedContainer()
            let t = try pair.decode(Int64.self)
            let e = try pair.decodeNil() ? nil : try pair.decode(Double.self)
            points.append((t, e))
        }
        equity = points
    }

    enum CodingKeys: String, CodingKey { case strategy, objective, windows, outOfSample = "out_of_sample", inSampleAnnualReturn = "in_sample_annual_return", outOfSampleAnnualReturn = "out_of_sample_annual_return", walkForwardEfficiency = "walk_forward_efficiency", equity }
}

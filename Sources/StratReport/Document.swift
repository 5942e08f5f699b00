import Foundation
import StratBacktest
import StratMarket

/// A backtest result as the report reads it: the JSON `strat backtest --json`
/// writes (Docs/Reports.md lists what it must hold). In process, `--html`
/// reads the same JSON made in memory and is handed the equity curve directly.
///
///     let doc = try ReportDocument(json: Data(contentsOf: url))
///     let html = HTMLReport.render(doc)
public struct ReportDocument: Decodable, Sendable {
    public var strategy: String
    public var symbols: [String]
    public var metrics: [String: Double?]
    public var trades: [TradeRow]
    public var orders: [OrderRow]
    public var fills: [FillRow]
    public var equity: [EquityRow]
    public var liquidations: [EventRow]?
    public var marginCalls: [EventRow]?
    public var riskState: String?
    public var riskEvents: [RiskRow]?
    public var fundingPaid: Double?
    public var fundingReceived: Double?
    public var warnings: [String]
    public var dataNotes: [String]?
    public var provenance: ProvenanceRow
    public var sourceLines: [String: String]?
    public var signals: [SignalRow]?
    public var chart: ChartRow?

    public struct TradeRow: Decodable, Sendable {
        public var symbol: String
        public var side: String
        public var qty: Double
        public var entryTime: String
        public var entryPrice: Double
        public var exitTime: String?
        public var exitPrice: Double?
        public var pnl: Double?
        public var `return`: Double?
        public var fees: Double
        public var barsHeld: Int
        public var entryLine: Int?
        public var exitLine: Int?
        public var riskLimit: String?
        public var funding: Double?
        public var interest: Double?
        public var exitReason: String?
        public var entryOrder: Int?
        public var exitOrder: Int?
        public var mae: Double?
        public var mfe: Double?
        enum CodingKeys: String, CodingKey { case symbol, side, qty, entryTime = "entry_time", entryPrice = "entry_price", exitTime = "exit_time", exitPrice = "exit_price", pnl, `return`, fees, barsHeld = "bars_held", entryLine = "entry_line", exitLine = "exit_line", riskLimit = "risk_limit", funding, interest, exitReason = "exit_reason", entryOrder = "entry_order", exitOrder = "exit_order", mae, mfe }
    }

    public struct OrderRow: Decodable, Sendable {
        public var id: Int
        public var symbol: String
        public var side: String
        public var type: String
        /// nil: an all-in order, sized when it fills (and it never did).
        public var qty: Double?
        public var limitPrice: Double?
        public var stopPrice: Double?
        public var trail: Double?
        public var trailKind: String?
        public var timeInForce: String
        public var expireAt: String?
        public var reduceOnly: Bool
        public var parent: Int?
        public var ocoGroup: Int?
        public var state: String
        public var filledQty: Double
        public var averageFillPrice: Double?
        public var line: Int?
        public var action: String?
        public var history: [HistoryRow]
        enum CodingKeys: String, CodingKey { case id, symbol, side, type, qty, limitPrice = "limit_price", stopPrice = "stop_price", trail, trailKind = "trail_kind", timeInForce = "time_in_force", expireAt = "expire_at", reduceOnly = "reduce_only", parent, ocoGroup = "oco_group", state, filledQty = "filled_qty", averageFillPrice = "average_fill_price", line, action, history }
    }

    public struct HistoryRow: Decodable, Sendable {
        public var time: String
        public var state: String
        public var reason: String?
    }

    public struct FillRow: Decodable, Sendable {
        public var order: Int
        public var symbol: String
        public var side: String
        public var qty: Double
        public var price: Double
        public var fee: Double
        public var time: String
        public var liquidity: String
        public var liquidation: Bool?
    }

    public struct EquityRow: Decodable, Sendable {
        public var time: Int64
        public var equity: Double?
        enum Keys: String, CodingKey { case time, equity }
        public init(time: Int64, equity: Double?) { self.time = time; self.equity = equity }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            time = try ReportDocument.time(c.decode(String.self, forKey: .time), c, .time)
            equity = try c.decodeIfPresent(Double.self, forKey: .equity)
        }
    }

    public struct EventRow: Decodable, Sendable {
        public var time: String
        public var symbol: String
        public var side: String
        public var qty: Double
        public var price: Double
        public var fee: Double
    }

    public struct RiskRow: Decodable, Sendable {
        public var time: String
        public var symbol: String?
        public var line: Int?
        public var decision: String
        public var limit: String?
        public var requested: Double?
        public var approved: Double?
        public var reason: String
        public var state: String?
    }

    public struct ProvenanceRow: Decodable, Sendable {
        public var engineVersion: String
        public var strategyFile: String
        public var strategySha256: String
        public var irHash: String
        public var inputs: [String: Double]
        public var data: [DataRow]
        public var config: [String: JSONValue]
        enum CodingKeys: String, CodingKey { case engineVersion = "engine_version", strategyFile = "strategy_file", strategySha256 = "strategy_sha256", irHash = "ir_hash", inputs, data, config }
    }

    public struct DataRow: Decodable, Sendable {
        public var symbol: String
        public var path: String
        public var sha256: String
        public var rows: Int
        /// Stored data's quality report (absent for files).
        public var quality: String?
    }

    public struct SignalRow: Decodable, Sendable {
        public var time: String
        public var barTime: String
        public var symbol: String
        public var rule: Int
        public var line: Int?
        public var orders: [Int]
        public var clauses: [String]
        enum CodingKeys: String, CodingKey { case time, barTime = "bar_time", symbol, rule, line, orders, clauses }
    }

    public struct ChartRow: Decodable, Sendable {
        public var columns: Int
        public var prices: [PriceRow]
        public var series: [SeriesRow]
    }

    public struct PriceRow: Decodable, Sendable {
        public var symbol: String
        public var aggregated: Bool
        public var bars: [BarRow]
    }

    public struct BarRow: Decodable, Sendable {
        public var time: Int64
        public var open: Double, high: Double, low: Double, close: Double
        enum Keys: String, CodingKey { case time, open, high, low, close }
        init(time: Int64, open: Double, high: Double, low: Double, close: Double) {
            self.time = time; self.open = open; self.high = high; self.low = low; self.close = close
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            time = try ReportDocument.time(c.decode(String.self, forKey: .time), c, .time)
            open = try c.decode(Double.self, forKey: .open)
            high = try c.decode(Double.self, forKey: .high)
            low = try c.decode(Double.self, forKey: .low)
            close = try c.decode(Double.self, forKey: .close)
        }
    }

    public struct SeriesRow: Decodable, Sendable {
        public var name: String
        public var symbol: String
        public var dimension: String
        public var points: [PointRow]
    }

    public struct PointRow: Decodable, Sendable {
        public var time: Int64
        public var low: Double, high: Double, last: Double
        enum Keys: String, CodingKey { case time, low, high, last }
        init(time: Int64, low: Double, high: Double, last: Double) {
            self.time = time; self.low = low; self.high = high; self.last = last
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            time = try ReportDocument.time(c.decode(String.self, forKey: .time), c, .time)
            low = try c.decode(Double.self, forKey: .low)
            high = try c.decode(Double.self, forKey: .high)
            last = try c.decode(Double.self, forKey: .last)
        }
    }

    static func time<K: CodingKey>(_ text: String, _ c: KeyedDecodingContainer<K>, _ key: K) throws -> Int64 {
        guard let t = UTCTime.parse(Substring(text)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "`\(text)` is not a UTC time")
        }
        return t
    }

    /// Reads a result's JSON; a readable error naming the field when it does not fit.
    public init(json: Data) throws {
        let d = JSONDecoder()
        do { self = try d.decode(ReportDocument.self, from: json) } catch let e as DecodingError {
            throw ReportError(Self.describe(e))
        }
    }

    /// The in-process path: the result's JSON without its long lists (read as
    /// JSON, so the metrics, provenance and events are exactly what the file
    /// holds), and the lists taken from the result as the JSON would give them
    /// (a test compares the two paths' reports byte for byte). Through JSON, a
    /// million-bar run's 39,241 orders took 2.8 s of a 4.4 s report.
    public init(_ result: BacktestResult, _ provenance: Provenance) throws {
        var bare = result
        bare.trades = []; bare.orders = []; bare.fills = []; bare.equity = []; bare.signals = []
        bare.chart = ChartData(prices: [], series: [])
        try self.init(json: Report.json(bare, provenance))
        trades = result.trades.map(TradeRow.init)
        orders = result.orders.filter { $0.tag.role != .liquidation || $0.filledQuantity > 0 }.map(OrderRow.init)
        fills = result.fills.map(FillRow.init)
        equity = result.equity.map { EquityRow(time: $0.time, equity: finite($0.equity)) }
        signals = result.signals.map { SignalRow($0, clauses: result.signalText.clauses($0)) }
        chart = ChartRow(result.chart)
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [CodingKey]) -> String {
            let p = c.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "the top level" : String(p.drop { $0 == "." })
        }
        switch e {
        case .keyNotFound(let k, let c): return "\(path(c.codingPath + [k])): missing (expected the JSON of `strat backtest --json`)"
        case .typeMismatch(let t, let c): return "\(path(c.codingPath)): expected \(t)"
        case .valueNotFound(let t, let c): return "\(path(c.codingPath)): expected \(t), found null"
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "not JSON: \((c.underlyingError as NSError?)?.localizedDescription ?? c.debugDescription)"
                : "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
    enum CodingKeys: String, CodingKey { case strategy, symbols, metrics, trades, orders, fills, equity, liquidations, marginCalls = "margin_calls", riskState = "risk_state", riskEvents = "risk_events", fundingPaid = "funding_paid", fundingReceived = "funding_received", warnings, dataNotes = "data_notes", provenance, sourceLines = "source_lines", signals, chart }
}

/// A report that cannot be made from its input (one line, for `strat: error:`).
public struct ReportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Any JSON value (the provenance's configuration, shown as it is).
public enum JSONValue: Decodable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([(String, JSONValue)])

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.singleValueContainer() {
            if c.decodeNil() { self = .null; return }
            if let b = try? c.decode(Bool.self) { self = .bool(b); return }
            if let n = try? c.decode(Double.self) { self = .number(n); return }
            if let s = try? c.decode(String.self) { self = .string(s); return }
            if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        }
        let c = try decoder.container(keyedBy: AnyKey.self)
        self = .object(try c.allKeys.sorted { $0.stringValue < $1.stringValue }.map { ($0.stringValue, try c.decode(JSONValue.self, forKey: $0)) })
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Compact text: numbers as the report prints them, lists and objects inline.
    public var text: String {
        switch self {
        case .null: "—"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): ExplainNumber.format(n)
        case .string(let s): s
        case .array(let a): "[" + a.map(\.text).joined(separator: ", ") + "]"
        case .object(let o): "{" + o.map { "\($0.0): \($0.1.text)" }.joined(separator: ", ") + "}"
        }
    }
}

import Foundation
import StratMarket

/// Binance's public REST API, as documented: spot `GET /api/v3/klines` and
/// `/api/v3/exchangeInfo`; USDⓈ-M futures `GET /fapi/v1/klines`,
/// `/fapi/v1/markPriceKlines`, `/fapi/v1/fundingRate` and `/fapi/v1/exchangeInfo`. Every request passes the
/// weight budget; 429/418 are honoured with `Retry-After`; 5xx, resets and
/// timeouts are retried with bounded exponential backoff and jitter.
public struct BinanceClient: Sendable {
    public let market: String
    public let baseURL: String
    let transport: HTTPTransport
    let budget: WeightBudget
    let time: TimeSource
    let config: RateLimitConfig

    public init(market: String, baseURL: String? = nil, transport: HTTPTransport = AsyncHTTPTransport(),
                config: RateLimitConfig = RateLimitConfig(), time: TimeSource = SystemTime()) {
        self.market = market
        self.baseURL = (baseURL ?? (market == "perp" ? "https://fapi.binance.com" : "https://api.binance.com"))
            .trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.transport = transport
        self.config = config
        self.time = time
        budget = WeightBudget(config: config, time: time)
    }

    /// Binance's interval names (`1M`: calendar months, opening on the 1st at 00:00 UTC).
    public static func intervalName(_ length: BarLength) -> String? {
        switch length {
        case .months(let n): return n == 1 ? "1M" : nil
        case .milliseconds(let ms): return ms % 1000 == 0 ? intervalName(ms / 1000) : nil
        }
    }

    /// Binance's name of a fixed interval of `seconds`.
    public static func intervalName(_ seconds: Int64) -> String? {
        [60: "1m", 180: "3m", 300: "5m", 900: "15m", 1800: "30m", 3600: "1h", 7200: "2h", 14_400: "4h",
         21_600: "6h", 28_800: "8h", 43_200: "12h", 86_400: "1d", 259_200: "3d", 604_800: "1w"][seconds]
    }

    /// Every interval name, for messages.
    public static let intervalNames = "1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M"

    /// Request weight of klines by `limit` (the documented table): [1, 100) 1,
    /// [100, 500) 2, [500, 1000] 5, above 10.
    public static func klinesWeight(limit: Int) -> Double {
        switch limit {
        case ..<100: 1
        case ..<500: 2
        case ...1000: 5
        default: 10
        }
    }

    var prefix: String { market == "perp" ? "/fapi/v1" : "/api/v3" }

    /// The weight budget's total wait so far (seconds), for reports and tests.
    public func waited() async -> Double { await budget.waited }

    /// One GET with the budget, retries and bans handled.
    func get(_ path: String, _ query: [(String, String)], weight: Double) async throws -> Data {
        let url = baseURL + path + "?" + query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        var failures = 0
        while true {
            try await budget.acquire(weight)
            let response: HTTPResponse
            do {
                response = try await transport.get(url, timeout: 15)
            } catch {
                failures += 1
                guard failures <= config.maxRetries else {
                    throw FetchError("\(path): no answer after \(failures) attempts (\(error))")
                }
                try await time.sleep(backoff(failures))
                continue
            }
            if let used = response.headers["x-mbx-used-weight-1m"].flatMap(Double.init) {
                await budget.observe(usedWeight: used)
            }
            switch response.status {
            case 200:
                return response.body
            case 418, 429:
                let wait = response.headers["retry-after"].flatMap(Double.init) ?? (response.status == 418 ? 120 : 60)
                if wait > config.maxBan {
                    throw FetchError("\(path): the exchange asks to wait \(Int(wait)) s (HTTP \(response.status)\(response.status == 418 ? ", an IP ban" : "")), longer than the \(Int(config.maxBan)) s allowed (--max-ban)")
                }
                await budget.pause(seconds: wait)
                failures += 1
                guard failures <= config.maxRetries + 10 else { throw FetchError("\(path): rate-limited \(failures) times in a row") }
            case 500...599:
                failures += 1
                guard failures <= config.maxRetries else {
                    throw FetchError("\(path): HTTP \(response.status) after \(failures) attempts")
                }
                try await time.sleep(backoff(failures))
            default:
                let text = String(decoding: response.body.prefix(300), as: UTF8.self)
                throw FetchError("\(path): HTTP \(response.status): \(text)")
            }
        }
    }

    /// Bounded exponential backoff with jitter: base · 2^(n−1), capped, times 0.5…1.
    func backoff(_ attempt: Int) -> Double {
        let raw = min(config.maxBackoff, config.baseBackoff * pow(2, Double(attempt - 1)))
        return raw * Double.random(in: 0.5...1)
    }

    /// One page of fixed `interval`-second klines (see `klines(symbol:length:…)`).
    public func klines(symbol: String, interval: Int64, start: Int64, end: Int64, limit: Int = 1000) async throws -> [Bar] {
        try await klines(symbol: symbol, length: .milliseconds(interval * 1000), start: start, end: end, limit: limit)
    }

    /// Which bars a klines request brings.
    public enum KlineKind: Sendable {
        /// Trades: `klines`.
        case trades
        /// A perpetual's mark price: USDⓈ-M `markPriceKlines` (no volume: stored as 0).
        case mark
    }

    /// One page of klines from `start` (inclusive) to `end` (inclusive), at most `limit`.
    public func klines(symbol: String, length: BarLength, start: Int64, end: Int64, limit: Int = 1000, kind: KlineKind = .trades) async throws -> [Bar] {
        guard let name = Self.intervalName(length) else { throw FetchError("Binance has no \(length) interval; it has \(Self.intervalNames)") }
        guard kind == .trades || market == "perp" else { throw FetchError("mark-price klines exist for perpetuals only (--market perp)") }
        let endpoint = kind == .mark ? "/markPriceKlines" : "/klines"
        let body = try await get(prefix + endpoint, [("symbol", symbol), ("interval", name), ("startTime", "\(start)"),
                                                     ("endTime", "\(end)"), ("limit", "\(limit)")],
                                 weight: Self.klinesWeight(limit: limit))
        return try Self.parseKlines(body, kind: kind)
    }

    /// Checks a klines response's shape: an array of arrays, each with open
    /// time (integer), open, high, low, close, volume (decimal strings) and close
    /// time (integer) in the documented places. Mark-price klines have the same
    /// shape, their volume field ignored (Binance documents it as "ignore").
    public static func parseKlines(_ body: Data, kind: KlineKind = .trades) throws -> [Bar] {
        let what = kind == .mark ? "markPriceKlines" : "klines"
        guard let rows = try? JSONSerialization.jsonObject(with: body) as? [Any] else {
            throw FetchError("\(what): the response is not a JSON array: \(String(decoding: body.prefix(120), as: UTF8.self))")
        }
        let names = ["open time", "open", "high", "low", "close", "volume", "close time"]
        return try rows.enumerated().map { i, raw in
            guard let row = raw as? [Any] else { throw FetchError("\(what): row \(i) is not an array") }
            guard row.count >= 11 else { throw FetchError("\(what): row \(i) has \(row.count) fields, expected 12") }
            func integer(_ k: Int) throws -> Int64 {
                guard !(row[k] is String), !(row[k] is Bool), let n = row[k] as? NSNumber, n.doubleValue == n.doubleValue.rounded() else {
                    throw FetchError("\(what): row \(i) field \(k) (\(names[k])) is \(type(of: row[k])), expected an integer")
                }
                return n.int64Value
            }
            func decimal(_ k: Int) throws -> Double {
                guard let s = row[k] as? String else { throw FetchError("\(what): row \(i) field \(k) (\(names[k])) is not a string") }
                guard let v = Double(s), v.isFinite else { throw FetchError("\(what): row \(i) field \(k) (\(names[k])) `\(s)` is not a number") }
                return v
            }
            let open = try integer(0)
            _ = try integer(6)
            return Bar(time: open, open: try decimal(1), high: try decimal(2), low: try decimal(3), close: try decimal(4),
                       volume: kind == .mark ? 0 : try decimal(5))
        }
    }

    /// Funding rates of a perpetual from `start` to `end` (ms), paginated, with
    /// the mark price of each payment where the answer gives one (`markPrice`;
    /// empty on old rows).
    public func fundingRates(symbol: String, start: Int64, end: Int64) async throws -> [FundingRate] {
        var out: [FundingRate] = []
        var from = start
        while from < end {
            let body = try await get("/fapi/v1/fundingRate", [("symbol", symbol), ("startTime", "\(from)"), ("endTime", "\(end - 1)"), ("limit", "1000")], weight: 1)
            guard let rows = try? JSONSerialization.jsonObject(with: body) as? [[String: Any]] else {
                throw FetchError("fundingRate: the response is not an array of objects")
            }
            if rows.isEmpty { break }
            for (i, r) in rows.enumerated() {
                guard let t = (r["fundingTime"] as? NSNumber)?.int64Value, let s = r["fundingRate"] as? String, let rate = Double(s), rate.isFinite else {
                    throw FetchError("fundingRate: row \(i) needs an integer fundingTime and a decimal-string fundingRate")
                }
                let mark = (r["markPrice"] as? String).flatMap(Double.init).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
                // Binance stamps a settlement a few ms after its hour (1637193600017):
                // read to the second, it is paid at the bar that opens then, before it trades.
                out.append(FundingRate(time: t - t % 1000, rate: rate, mark: mark))
            }
            from = out.last!.time + 1
            if rows.count < 1000 { break }
        }
        return out
    }

    /// Tick size, lot size and minimum notional of a symbol, from exchangeInfo.
    public func instrument(symbol: String) async throws -> (tick: Double?, lot: Double?, minNotional: Double?) {
        let body = try await get(prefix + "/exchangeInfo", market == "perp" ? [] : [("symbol", symbol)], weight: market == "perp" ? 1 : 20)
        guard let info = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let symbols = info["symbols"] as? [[String: Any]] else {
            throw FetchError("exchangeInfo: expected an object with a `symbols` array")
        }
        guard let s = symbols.first(where: { $0["symbol"] as? String == symbol }) else {
            throw FetchError("exchangeInfo: no symbol \(symbol) on Binance \(market)")
        }
        let filters = s["filters"] as? [[String: Any]] ?? []
        func value(_ type: String, _ key: String) -> Double? {
            (filters.first { $0["filterType"] as? String == type }?[key] as? String).flatMap(Double.init)
        }
        return (value("PRICE_FILTER", "tickSize"), value("LOT_SIZE", "stepSize"),
                value("MIN_NOTIONAL", "minNotional") ?? value("NOTIONAL", "minNotional") ?? value("MIN_NOTIONAL", "notional"))
    }
}

import Foundation
import StratMarket

/// Where bars, funding, brackets, instruments, corporate actions, quality
/// reports, the fetch log and cached batch results are kept: `Store` (SQLite,
/// one file) or `PostgresStore` (a PostgreSQL server, shared by machines).
/// Both run the one test suite in Tests/StratDataTests; callers that do not
/// care which take `any SeriesStore`.
///
/// ```swift
/// let store: any SeriesStore = try url.map { try PostgresStore(url: $0) } ?? Store(path: path)
/// try store.insert(bars, key: SeriesKey(symbol: "BTCUSDT", interval: 3600), onConflict: .reject)
/// let back = try store.bars(SeriesKey(symbol: "BTCUSDT", interval: 3600))
/// ```
///
/// The methods are synchronous and throw `StoreError` (or `ConflictError`).
/// A requirement cannot carry default arguments: the extension below gives
/// `any SeriesStore` the shorter calls that `Store`'s defaults give it.
public protocol SeriesStore: AnyObject, Sendable {
    /// Where the store is, for messages: the file, or the server and database without the password.
    var label: String { get }
    /// Opened only to read: writes are refused and nothing was created.
    var readOnly: Bool { get }

    /// The schema version: the migrations applied.
    func migrations() throws -> [String]

    /// Stores bars, comparing each with a bar already stored at its time: equal
    /// ones are no conflict; changed ones are kept, replaced or (reject) make the
    /// whole insert fail with a `ConflictError`, in one transaction either way.
    func insert(_ bars: [Bar], flags: [BarFlags], key: SeriesKey, onConflict: ConflictPolicy, examples: Int) throws -> InsertSummary
    /// Reads bars with their flags in time order, `chunk` at a time (memory
    /// stays bounded for any size of series). `from` inclusive, `to` exclusive, in ms.
    func read(_ key: SeriesKey, from: Int64?, to: Int64?, chunk: Int, withFlags body: ([Bar], [BarFlags]) throws -> Void) throws
    /// How many stored bars of a series carry any of `flags`, and the first `limit` of their times.
    func flagged(_ key: SeriesKey, _ flags: BarFlags, limit: Int) throws -> (count: Int, first: [Int64])
    func flags(_ key: SeriesKey) throws -> [BarFlags]
    /// Open times stored for a series in [from, to).
    func times(_ key: SeriesKey, from: Int64, to: Int64) throws -> Set<Int64>

    func saveQuality(_ report: QualityReport, key: SeriesKey, at time: Int64) throws
    func latestQuality(_ key: SeriesKey) throws -> QualityReport?

    /// Records a fetch as it starts; returns its id for `finishFetch`.
    func startFetch(_ key: SeriesKey, from: Int64, to: Int64, at now: Int64) throws -> Int64
    func finishFetch(_ id: Int64, rows: Int, status: String, at now: Int64) throws
    /// The fetches recorded for a series, oldest first: (status, rows).
    func fetchHistory(_ key: SeriesKey) throws -> [(status: String, rows: Int)]

    /// Stores funding rates (a rate already stored at the same time is
    /// replaced), with the mark price of each payment when known.
    func insertFunding(_ rates: [FundingRate], source: String, symbol: String) throws
    /// The funding rates of a symbol in time order, `from` inclusive, `to` exclusive (ms).
    func fundingRates(source: String, symbol: String, from: Int64?, to: Int64?) throws -> [FundingRate]

    /// Stores each entry's brackets as the table in force from `validFrom` (ms)
    /// on; a table already stored for that symbol, source and date is replaced
    /// (its brackets too). One transaction. Returns the symbols whose table replaced one.
    @discardableResult
    func insertBrackets(_ entries: [BracketFile.Entry], validFrom: Int64, source: String, origin: String, at now: Int64) throws -> [String]
    /// The stored bracket tables (with their liquidation fee rates) of one
    /// symbol, or of every symbol (nil); by symbol, source, then valid-from.
    func bracketTables(symbol: String?) throws -> [StoredBrackets]

    func upsertInstrument(source: String, market: String, symbol: String, tick: Double?, lot: Double?, minNotional: Double?, at now: Int64) throws
    func instrument(source: String, market: String, symbol: String) throws -> (tick: Double?, lot: Double?, minNotional: Double?)?

    func insertActions(_ actions: [CorporateAction]) throws
    func actions(symbol: String) throws -> [CorporateAction]

    /// The stored series of `symbol` at `length`, in any market (but not a
    /// mark-price one) and from any source unless given (nil): what a read
    /// means when it leaves them out.
    func series(symbol: String, length: BarLength, market: String?, source: String?) throws -> [SeriesKey]
    /// Every stored series with its range, row count and latest quality score.
    /// By symbol, then bar length (months by their average length: after days
    /// and weeks), market and source.
    func list() throws -> [SeriesSummary]

    /// Cached batch results of the keys that have one.
    func cachedResults(_ keys: [String]) throws -> [String: Data]
    /// Keeps batch results (one transaction; a key already stored is replaced).
    func cacheResults(_ items: [(key: String, result: Data)], engineVersion: String, at now: Int64) throws
}

/// The shorter forms, built on the requirements above.
extension SeriesStore {
    /// How many bars a `read` chunk holds unless told.
    public static var readChunk: Int { 100_000 }

    /// Stores bars (a bar already stored at the same time is replaced); returns
    /// how many rows were new.
    @discardableResult
    public func insert(_ bars: [Bar], flags: [BarFlags] = [], key: SeriesKey) throws -> Int {
        try insert(bars, flags: flags, key: key, onConflict: .replace).new
    }

    /// `insert`, naming the first 5 changed bars.
    public func insert(_ bars: [Bar], flags: [BarFlags] = [], key: SeriesKey, onConflict: ConflictPolicy) throws -> InsertSummary {
        try insert(bars, flags: flags, key: key, onConflict: onConflict, examples: 5)
    }

    /// Reads bars in time order, `chunk` at a time.
    public func read(_ key: SeriesKey, from: Int64? = nil, to: Int64? = nil, chunk: Int = Self.readChunk,
                     _ body: ([Bar]) throws -> Void) throws {
        try read(key, from: from, to: to, chunk: chunk, withFlags: { bars, _ in try body(bars) })
    }

    /// `read` with each bar's flags, in chunks of `readChunk`.
    public func read(_ key: SeriesKey, from: Int64? = nil, to: Int64? = nil, withFlags body: ([Bar], [BarFlags]) throws -> Void) throws {
        try read(key, from: from, to: to, chunk: Self.readChunk, withFlags: body)
    }

    /// All the bars of a series in a range, at once.
    public func bars(_ key: SeriesKey, from: Int64? = nil, to: Int64? = nil) throws -> [Bar] {
        var out: [Bar] = []
        try read(key, from: from, to: to) { out += $0 }
        return out
    }

    /// The count and first 3 times of the bars carrying any of `flags`.
    public func flagged(_ key: SeriesKey, _ flags: BarFlags) throws -> (count: Int, first: [Int64]) {
        try flagged(key, flags, limit: 3)
    }

    public func insertFunding(_ rates: [(time: Int64, rate: Double)], source: String, symbol: String) throws {
        try insertFunding(rates.map { FundingRate(time: $0.time, rate: $0.rate) }, source: source, symbol: symbol)
    }

    public func funding(source: String, symbol: String) throws -> [(time: Int64, rate: Double)] {
        try fundingRates(source: source, symbol: symbol).map { ($0.time, $0.rate) }
    }

    /// Every funding rate of a symbol, in time order.
    public func fundingRates(source: String, symbol: String) throws -> [FundingRate] {
        try fundingRates(source: source, symbol: symbol, from: nil, to: nil)
    }

    /// The stored bracket tables of every symbol.
    public func bracketTables() throws -> [StoredBrackets] {
        try bracketTables(symbol: nil)
    }

    /// The stored series of `symbol` at `length` in `market` (nil: any but a mark-price one), from any source.
    public func series(symbol: String, length: BarLength, market: String? = nil) throws -> [SeriesKey] {
        try series(symbol: symbol, length: length, market: market, source: nil)
    }
}


/// Which series: where it came from, spot or perp, the symbol and the bar length.
public struct SeriesKey: Hashable, Sendable, Codable {
    public var source: String
    public var market: String
    public var symbol: String
    /// The bar length: whole seconds, or calendar months.
    public var length: BarLength

    public init(source: String = "csv", market: String = "spot", symbol: String, length: BarLength) {
        self.source = source
        self.market = market
        self.symbol = symbol
        self.length = length
    }

    /// A series of fixed bars of `interval` seconds.
    public init(source: String = "csv", market: String = "spot", symbol: String, interval: Int64) {
        self.init(source: source, market: market, symbol: symbol, length: .milliseconds(interval * 1000))
    }

    /// The `interval` column: seconds for a fixed length, −n for n calendar
    /// months (a month has no length in seconds; stores made before months
    /// existed hold only positive values, so they read unchanged).
    public var column: Int64 {
        switch length {
        case .milliseconds(let ms): ms / 1000
        case .months(let n): -Int64(n)
        }
    }

    /// A perpetual's mark-price bars are a series of their own beside its
    /// traded bars: the same source, symbol and length, in market `perp-mark`.
    public var markKey: SeriesKey { SeriesKey(source: source, market: market + Self.markSuffix, symbol: symbol, length: length) }

    /// Mark-price series (market `perp-mark`) stand beside traded ones; a read
    /// that leaves the market out never means them.
    public var isMark: Bool { market.hasSuffix(Self.markSuffix) }

    public static let markSuffix = "-mark"

    /// The bar length an `interval` column holds.
    public static func length(column: Int64) -> BarLength {
        column < 0 ? .months(Int(-column)) : .milliseconds(column * 1000)
    }
}

/// What `strat data list` shows for one stored series.
public struct SeriesSummary: Sendable, Equatable {
    public var key: SeriesKey
    public var rows: Int
    public var first: Int64
    public var last: Int64
    public var score: Double?
}

public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// A symbol's leverage brackets as stored: the table in force from its
/// `validFrom`, its liquidation fee rate when known, and where it came from.
public struct StoredBrackets: Sendable, Equatable {
    public var source: String
    public var symbol: String
    public var table: BracketTable
    public var liquidationFee: Double?
    /// The file it was imported from.
    public var origin: String
    public var importedAt: Int64
}

/// What an import does with a bar whose time is stored with other prices.
public enum ConflictPolicy: String, Sendable, CaseIterable {
    /// Keep the stored bar; store only the new times.
    case keep
    /// Store the incoming bar in its place.
    case replace
    /// Store nothing, naming the changed bars.
    case reject
}

/// A stored bar and the one an import brought for the same time.
public struct BarChange: Sendable, Equatable {
    public var stored: Bar
    public var incoming: Bar
}

/// What an import stored: new times, and bars that differed from the stored ones.
public struct InsertSummary: Sendable, Equatable {
    public var new: Int
    public var changed: Int
    /// The first few changed bars, in time order.
    public var examples: [BarChange]

    public init(new: Int, changed: Int, examples: [BarChange]) {
        self.new = new
        self.changed = changed
        self.examples = examples
    }
}

/// Under `ConflictPolicy.reject`: the incoming bars differ from stored ones; nothing was stored.
public struct ConflictError: Error, CustomStringConvertible {
    public var path: String
    public var key: SeriesKey
    public var changed: Int
    public var examples: [BarChange]
    public var description: String {
        func bar(_ b: Bar) -> String { "\(b.open) \(b.high) \(b.low) \(b.close) \(b.volume)" }
        return "\(changed) bar\(changed == 1 ? "" : "s") of \(key.symbol) differ\(changed == 1 ? "s" : "") from the \(changed == 1 ? "one" : "ones") stored in \(path); nothing imported"
            + examples.map { "\n  \(UTCTime.format($0.stored.time)): stored \(bar($0.stored)), imported \(bar($0.incoming)) (open high low close volume)" }.joined()
            + (changed > examples.count ? "\n  … and \(changed - examples.count) more" : "")
            + "\n(choose --on-conflict keep to store only the new bars, or --on-conflict replace to overwrite the stored ones)"
    }
}

/// Which store to open: a SQLite file or a PostgreSQL database (schema `strat`).
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// `$STRAT_DB` or ~/.strat/strat.db.
    public static var standard: StoreLocation { .sqlite(path: Store.defaultPath) }

    public func open(readOnly: Bool) throws -> any SeriesStore {
        switch self {
        case .sqlite(let path): try Store(path: path, readOnly: readOnly)
        case .postgres(let url): try PostgresStore(url: url, readOnly: readOnly)
        }
    }
}

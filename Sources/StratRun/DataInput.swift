import Foundation

/// One `--data` input: a CSV file, CSV text held in memory (its `name` stands
/// for a path in messages and the provenance), a stored series, or every
/// symbol stored at an interval.
///
///     try DataInput.parse("GOOG=Data/GOOG.csv")   // .file(symbol: "GOOG", path: "Data/GOOG.csv")
///     try DataInput.parse("BTCUSDT=db:1h:perp")   // .stored(symbol: "BTCUSDT", spec: "1h:perp")
///     try DataInput.parse("*=db:1d")              // .allStored(spec: "1d")
public enum DataInput: Sendable, Equatable {
    case file(symbol: String, path: String)
    case csv(symbol: String, name: String, bytes: Data)
    /// `spec`: INTERVAL[:MARKET[:SOURCE]] (empty: the strategy's timeframe).
    case stored(symbol: String, spec: String)
    case allStored(spec: String)

    /// SYMBOL=FILE.csv, FILE.csv (its file name the symbol), SYMBOL=db:…, *=db:….
    public static func parse(_ spec: String) throws(RunError) -> DataInput {
        if spec.hasPrefix("*=db:") { return .allStored(spec: String(spec.dropFirst(5))) }
        let (symbol, path) = try BacktestOptions.symbolFile(spec)
        if path == "db" || path.hasPrefix("db:") { return .stored(symbol: symbol, spec: String(path.dropFirst(path == "db" ? 2 : 3))) }
        return .file(symbol: symbol, path: path)
    }

    /// The symbol it names (nil: every stored one).
    public var symbol: String? {
        switch self {
        case .file(let s, _), .csv(let s, _, _), .stored(let s, _): s
        case .allStored: nil
        }
    }

    /// As `--data` would give it (a file named for its symbol: the path alone).
    public var spec: String {
        switch self {
        case .file(let symbol, let path):
            URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent == symbol ? path : "\(symbol)=\(path)"
        case .csv(let symbol, let name, _): "\(symbol)=\(name)"
        case .stored(let symbol, let spec): "\(symbol)=db" + (spec.isEmpty ? "" : ":\(spec)")
        case .allStored(let spec): "*=db:\(spec)"
        }
    }

    var readsStore: Bool {
        switch self {
        case .stored, .allStored: true
        case .file, .csv: false
        }
    }
}

import Crypto
import Foundation
import StratBacktest
import StratData

/// Finished points kept in the store, under the SHA-256 of everything that
/// made them: the engine version, the strategy's IR hash, the hash of every
/// data file and the whole configuration (inputs and settings included). A
/// different engine, strategy, data file or option is a different key, so a
/// stored result is only ever returned for a run that would give it again.
public struct ResultCache {
    let store: any SeriesStore
    let prefix: String

    public init(store: any SeriesStore, engineVersion: String = Provenance.engineVersion, irHash: String, dataHashes: [String]) {
        self.store = store
        prefix = "engine \(engineVersion)\nir \(irHash)\n" + dataHashes.map { "data \($0)\n" }.joined()
    }

    /// The key of a run with `config`.
    public func key(_ config: BacktestConfig) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let text = prefix + "config " + String(decoding: (try? encoder.encode(config)) ?? Data(), as: UTF8.self)
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The results stored for `keys`, by index; a row that does not decode is a miss.
    public func lookup(_ keys: [String]) throws -> [Int: PointResult] {
        let found = try store.cachedResults(keys)
        var out: [Int: PointResult] = [:]
        for (i, k) in keys.enumerated() {
            if let data = found[k], let r = try? PointResult(json: data) { out[i] = r }
        }
        return out
    }

    public func save(_ items: [(key: String, result: PointResult)]) throws {
        try store.cacheResults(items.compactMap { i in (try? i.result.json()).map { (i.key, $0) } },
                               engineVersion: Provenance.engineVersion, at: Int64(Date().timeIntervalSince1970 * 1000))
    }
}

/// A point's result as the cache keeps it (and a server's workers hand it
/// over): JSON with sorted keys, infinities and nan as strings; the numbers
/// come back bit for bit.
extension PointResult {
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    public init(json: Data) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        self = try decoder.decode(PointResult.self, from: json)
    }
}

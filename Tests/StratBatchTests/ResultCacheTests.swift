import Foundation
import StratBacktest
import StratBatch
import StratData
import Testing
import StratTestSupport

@Suite struct ResultCacheTests {
    func result(_ sharpe: Double) -> PointResult {
        var r = try! JSONDecoder().decode(PointResult.self, from: Data("""
            {"point":{"inputs":[{"name":"fast","value":"10"}],"settings":[]},"finalEquity":11000,"totalReturn":0.1,"sharpe":\(sharpe),
             "maxDrawdown":-0.05,"trades":3,"exposure":0.5,"returns":[0.01,-0.02,0.03],"warnings":[]}
            """.utf8))
        r.cagr = nil
        return r
    }

    /// A result is found again only under the same engine version, IR, data and configuration.
    @Test func aResultIsOnlyReturnedForWhatMadeIt() throws {
        let path = scratchDirectory.appendingPathComponent("cache-\(UUID().uuidString).db").path
        let store = try Store(path: path)
        var config = BacktestConfig()
        config.inputs = ["fast": 10]
        let cache = ResultCache(store: store, engineVersion: "1.0", irHash: "ir", dataHashes: ["a"])
        try cache.save([(cache.key(config), result(1.25))])
        let found = try cache.lookup([cache.key(config)])
        #expect(found[0]?.sharpe == 1.25 && found[0]?.returns == [0.01, -0.02, 0.03] && found[0]?.cagr == nil)
        let otherEngine = ResultCache(store: store, engineVersion: "1.1", irHash: "ir", dataHashes: ["a"])
        let otherData = ResultCache(store: store, engineVersion: "1.0", irHash: "ir", dataHashes: ["b"])
        let otherIR = ResultCache(store: store, engineVersion: "1.0", irHash: "ir2", dataHashes: ["a"])
        for other in [otherEngine, otherData, otherIR] { #expect(try other.lookup([other.key(config)]).isEmpty) }
        var fees = config
        fees.execution.takerFee = 0.001
        #expect(try cache.lookup([cache.key(fees)]).isEmpty)
        // The same configuration always hashes the same (a session's sets in order).
        var session = config
        session.execution.session.holidays = [19_000, 18_000, 20_000, 17_000]
        var copy = BacktestConfig()
        copy.inputs = ["fast": 10]
        copy.execution.session.holidays = [17_000, 20_000, 18_000, 19_000]
        #expect(cache.key(session) == cache.key(copy))
    }
}

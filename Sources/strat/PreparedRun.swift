import Foundation
import StratBacktest
import StratEngine
import StratIR
import StratMarket
import StratRuntime
import StratSyntax

/// A strategy with its data and configuration, checked and loaded, ready to
/// run once (`strat backtest`) or once per point (`strat batch`).
struct PreparedRun: @unchecked Sendable {
    let source: SourceFile
    let strategyFile: String
    let strategy: IRStrategy
    let series: [BarSeries]
    /// The configuration the options give (inputs from --set).
    var config: BacktestConfig
    let intrabar: [BarSeries]
    let depth: [String: [BookSnapshot]]
    let perp: PerpData
    /// The inputs read, for the provenance (hashes filled in by `provenance`).
    let data: [Provenance.DataFile]
    let hashes: DataHashes

    /// A run with `config`, on `bars` (a window of the data) or all of it;
    /// `columns`: the indicator columns shared by the runs of a batch on the same bars;
    /// `details`: keep the chart and signals a report reads (a batch's runs do not).
    func run(_ config: BacktestConfig, on bars: [BarSeries]? = nil, equityText: EquityText? = nil, columns: ColumnCache? = nil,
             details: Bool = true) throws -> BacktestResult {
        do {
            return try Backtest.run(strategy, data: bars ?? series, config: config, intrabar: intrabar, depth: depth, perp: perp,
                                    equityText: equityText, columns: columns, details: details)
        } catch let e as RuntimeError {
            throw UsageError(description: e.message)
        }
    }

    /// What a run with `config` was made from (waits for the data hashes).
    func provenance(_ config: BacktestConfig) throws -> Provenance {
        var files = data
        for (i, h) in hashes.value.enumerated() { files[i].sha256 = h }
        return Provenance(strategyFile: strategyFile, strategySHA256: Provenance.sha256(Data(source.text.utf8)), irHash: strategy.hash,
                          inputs: zip(strategy.inputs, try InputBinding.resolve(strategy.inputs, overrides: config.inputs)).map { ($0.0.name, $0.1) },
                          data: files.sorted { $0.symbol < $1.symbol }, config: config, sourceLines: Provenance.ruleLines(source.text, strategy))
    }
}

/// The SHA-256 of each data file, computed on another core while the run goes on.
final class DataHashes: @unchecked Sendable {
    private var hashes: [String] = []
    private let group = DispatchGroup()
    init(_ files: [Data]) {
        DispatchQueue.global().async(group: group) { self.hashes = files.map(Provenance.sha256) }
    }
    /// The hashes, in the order of the files (waits for them).
    var value: [String] {
        group.wait()
        return hashes
    }
}

import Foundation
import StratBacktest
import StratData
import StratEngine
import StratIR
import StratMarket
import StratRuntime
import StratSyntax

/// A strategy with its data and configuration, checked and loaded, ready to
/// run once (`strat backtest`) or once per point (`strat batch`).
///
///     let prepared = try PreparedRun.prepare(source: SourceFile(name: "x.strat", text: text),
///                                            data: [.csv(symbol: "GOOG", name: "goog.csv", bytes: csv)], options: options)
///     let result = try prepared.run(prepared.config)
///     let json = try prepared.resultJSON(result)   // the bytes of `strat backtest --json`
public struct PreparedRun: @unchecked Sendable {
    public let source: SourceFile
    public let strategy: IRStrategy
    public let series: [BarSeries]
    /// The options it was prepared with (a sweep's settings vary them).
    public let options: BacktestOptions
    /// The configuration the options give (inputs from `set`).
    public var config: BacktestConfig
    public let intrabar: [BarSeries]
    public let depth: [String: [BookSnapshot]]
    public let perp: PerpData
    /// The inputs read, for the provenance (hashes filled in by `provenance`).
    let data: [Provenance.DataFile]
    public let hashes: DataHashes

    /// Compiles the strategy, reads and checks every input, and builds the
    /// configuration; the data's hashes are computed on another core meanwhile.
    /// `store`: the store for stored data (nil: `StoreLocation.standard`) and,
    /// when given, for leverage brackets. `report`: warnings and notes on the way.
    public static func prepare(source: SourceFile, data: [DataInput], options: BacktestOptions, store: StoreLocation? = nil,
                               report: (RunMessage) -> Void = { _ in }) throws(RunError) -> PreparedRun {
        let result = Compiler.compile(source)
        guard let ir = result.ir else { throw .strategy(result.diagnostics, source) }
        if !result.diagnostics.isEmpty { report(.diagnostics(result.diagnostics, source)) }
        return try withoutActuallyEscaping(report) { report throws(RunError) in
            let preparer = Preparer(options: options, file: source.name, store: store, report: report)
            return try RunError.typed { try preparer.prepare(ir, source: source, data: data) }
        }
    }

    /// A run with `config`, on `bars` (a window of the data) or all of it;
    /// `columns`: the indicator columns shared by the runs of a batch on the same bars;
    /// `details`: keep the chart and signals a report reads (a batch's runs do not);
    /// `curve`: keep the equity curve (a batch's points keep its metrics and daily returns);
    /// `control`: a server's job watches and stops the run through it.
    public func run(_ config: BacktestConfig, on bars: [BarSeries]? = nil, equityText: EquityText? = nil, columns: ColumnCache? = nil,
                    details: Bool = true, curve: Bool = true, control: RunControl? = nil) throws(RunError) -> BacktestResult {
        try RunError.typed {
            try Backtest.run(strategy, data: bars ?? series, config: config, intrabar: intrabar, depth: depth, perp: perp,
                             equityText: equityText, columns: columns, details: details, curve: curve, control: control)
        }
    }

    /// What a run with `config` was made from (waits for the data hashes).
    public func provenance(_ config: BacktestConfig) throws(RunError) -> Provenance {
        var files = data
        for (i, h) in hashes.value.enumerated() { files[i].sha256 = h }
        let inputs = try RunError.typed { try InputBinding.resolve(strategy.inputs, overrides: config.inputs) }
        return Provenance(strategyFile: source.name, strategySHA256: Provenance.sha256(Data(source.text.utf8)), irHash: strategy.hash,
                          inputs: zip(strategy.inputs, inputs).map { ($0.0.name, $0.1) },
                          data: files.sorted { $0.symbol < $1.symbol }, config: config, sourceLines: Provenance.ruleLines(source.text, strategy))
    }

    /// The bytes `strat backtest --json` writes for `result`, a run with `config`.
    public func resultJSON(_ result: BacktestResult, config: BacktestConfig? = nil) throws(RunError) -> Data {
        Report.json(result, try provenance(config ?? self.config))
    }
}

/// The SHA-256 of each data file, computed on another core while the run goes on.
public final class DataHashes: @unchecked Sendable {
    private var hashes: [String] = []
    private let group = DispatchGroup()
    init(_ files: [Data]) {
        DispatchQueue.global().async(group: group) { self.hashes = files.map(Provenance.sha256) }
    }
    /// The hashes, in the order of the files (waits for them).
    public var value: [String] {
        group.wait()
        return hashes
    }
}

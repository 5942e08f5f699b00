import ArgumentParser
import Foundation
import StratIR
import StratMarket
import StratRun
import StratRuntime
import StratSyntax

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate an expression over a CSV of bars and print it as CSV.",
        discussion: """
            The data CSV has the header time,open,high,low,close,volume (extra columns \
            are ignored); time is ISO-8601 UTC or epoch milliseconds. Output: a header \
            row, then one row per input bar, warm-up rows included (na is an empty cell). \
            A multi-output call prints one column per output, e.g. time,macd,signal,hist.
            Exit status: 0 success, 1 the expression has errors, 2 usage, I/O or data error.
            """)

    @Option(help: "A CSV file of bars.")
    var data: String

    @Option(parsing: .unconditional, help: "Print only the last N rows.")
    var last: Int?

    @Argument(help: "An expression of the strategy language, e.g. 'ema(close, 20)'.")
    var expression: String

    @OptionGroup var time: TimeUnitOption

    func validate() throws {
        try validating { () throws(RunError) in
            try checkOption("--last", last, from: 0, to: Int.max, unit: "a number of rows")
        }
    }

    func run() throws {
        try withUsageErrors {
            let series: BarSeries
            do { series = try BarCSV.read(path: data, timeUnit: time.timeUnit) } catch let e as BarCSV.Error {
                throw UsageError(description: e.description)
            }
            let file = SourceFile(name: "<expression>", text: expression)
            let result = Compiler.compileExpression(file, timeframe: series.interval.map { $0 / 1000 })
            renderDiagnostics(result.diagnostics, file)
            guard let strategy = result.ir?.strategies.first else { throw ExitCode(1) }
            let out: EvaluatedSeries
            do { out = try Evaluation.run(strategy, series: series) } catch let e as RuntimeError {
                throw UsageError(description: e.message)
            }
            var text = "time," + out.columns.joined(separator: ",") + "\n"
            let rows = out.times.indices
            for r in rows.suffix(last ?? rows.count) {
                text += UTCTime.format(out.times[r])
                for c in out.values.indices { text += "," + Evaluation.format(out.values[c][r], dimension: out.dimension) }
                text += "\n"
            }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

import Foundation
import StratIR
import StratMarket
import StratRuntime
import StratSyntax

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func dataPath(_ name: String) -> String { repoRoot.appendingPathComponent("Data/\(name)").path }

func loadBars(_ name: String) throws -> BarSeries { try BarCSV.read(path: dataPath(name)) }

/// Compiles `expression` for the bars' timeframe, or fails with its diagnostics.
func compileExpression(_ expression: String, interval: Int64?) throws -> IRStrategy {
    let file = SourceFile(name: "<expr>", text: expression)
    let result = Compiler.compileExpression(file, timeframe: interval.map { $0 / 1000 })
    guard let s = result.ir?.strategies.first else {
        throw RuntimeError("`\(expression)` does not compile: " + result.diagnostics.map(\.message).joined(separator: "; "))
    }
    return s
}

/// Evaluates one expression over a series: the value on every bar (NaN is na).
func evaluate(_ expression: String, _ series: BarSeries) throws -> [Double] {
    let s = try compileExpression(expression, interval: series.interval)
    return try Evaluation.run(s, series: series).values[0]
}

/// A golden CSV: header `time,EXPR,…`, cells empty for na.
struct GoldenTable {
    var expressions: [String]
    var columns: [[Double]]

    init(_ name: String) throws {
        let text = try String(contentsOfFile: dataPath("golden/\(name)"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        let header = try BarCSV.fields(of: lines[0], file: name, line: 1)
        expressions = Array(header.dropFirst())
        columns = expressions.map { _ in [] }
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).dropFirst()
            for (c, cell) in cells.enumerated() { columns[c].append(cell.isEmpty ? .nan : Double(cell)!) }
        }
    }
}

/// Relative difference, with values below `floor` in magnitude compared absolutely
/// (a relative error of a number that is zero up to rounding means nothing).
func relativeError(_ a: Double, _ b: Double, floor: Double) -> Double {
    abs(a - b) / max(abs(b), floor)
}

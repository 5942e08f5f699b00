import ArgumentParser
import Foundation
import StratIR
import StratSyntax

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure performance (run on a release build).",
        subcommands: [CompileBench.self])
}

/// Compiles a generated strategy of N lines (parse, check, lower) and reports the
/// best of several runs.
struct CompileBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile",
        abstract: "Time the compiler on a generated strategy.")

    @Option(help: "Lines in the generated strategy.")
    var lines = 20_000

    @Option(help: "Timed runs; the best is reported.")
    var runs = 5

    @Option(help: "Also write the generated strategy here.")
    var save: String?

    func run() throws {
        let text = Self.generate(lines: lines)
        if let save { try text.write(toFile: save, atomically: true, encoding: .utf8) }
        let file = SourceFile(name: "generated.strat", text: text)
        var best = Double.infinity
        var nodes = 0
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = Compiler.compile(file)
            let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            guard let ir = result.ir else {
                renderDiagnostics(Array(result.diagnostics.prefix(5)), file)
                throw ExitCode(1)
            }
            nodes = ir.strategies[0].nodes.count
            best = min(best, secs)
        }
        let actual = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        print(String(format: "compile: %d lines, %d IR nodes, best of %d: %.3f s (%.0f lines/s)",
                     actual, nodes, runs, best, Double(actual) / best))
    }

    /// A deterministic strategy: inputs, lets over indicators and arithmetic, and rules.
    static func generate(lines: Int) -> String {
        var out = "strategy Generated {\n  market spot\n  timeframe 1h\n  input n = 14 in 2...100\n"
        var count = 4
        var k = 0
        let indicators = ["sma", "ema", "wma", "rma", "highest", "lowest", "stddev"]
        while count < lines - 6 {
            let src = k == 0 ? "close" : "v\(k - 1)"
            switch k % 5 {
            case 0: out += "  let v\(k) = \(indicators[k % indicators.count])(\(src), \(5 + k % 40))\n"
            case 1: out += "  let v\(k) = (\(src) + close) / 2 - atr(n) * 0.5\n"
            case 2: out += "  let v\(k) = max(\(src), open[\(k % 7)])   // a comment\n"
            case 3: out += "  let v\(k) = if close > \(src) then \(src) else close\n"
            default:
                out += "  let v\(k) = \(src)[1]\n"
                out += "  when crossover(close, v\(k)) and rsi(close, n) < \(30 + k % 40) {\n    enter long size 10%\n      stop close - 2 * atr(n)\n  }\n"
                count += 4
            }
            count += 1
            k += 1
        }
        out += "  when crossunder(close, v\(k - 1)) {\n    exit long\n  }\n}\n"
        return out
    }
}

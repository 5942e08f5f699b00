import Foundation
import StratIR
import StratMarket
import StratSyntax

/// What must hold for any input, whatever its bytes: checked by the libFuzzer
/// targets (Fuzz/FrontEnd, Fuzz/BarCSV), by the tests that replay what they
/// found (Fuzz/Regressions) and by the seeded mutation test. A crash or a hang
/// is the runner's to see; these return the quieter failures, one line each
/// (empty: the input passes).
///
///     let problems = FuzzChecks.frontEnd("strategy S { … }")
///     precondition(problems.isEmpty, problems.joined(separator: "\n"))
public enum FuzzChecks {
    /// Source text through the whole front end: the compiler answers with
    /// diagnostics (each inside the file, each renderable) or with verified IR
    /// that prints and survives a JSON round trip; the tree dumps; and when the
    /// text parses, `strat fmt`'s output parses, is a fixed point, and compiles
    /// to the same IR (formatting never changes meaning).
    public static func frontEnd(_ text: String) -> [String] {
        var problems: [String] = []
        let file = SourceFile(name: "fuzz.strat", text: text)
        let result = Compiler.compile(file)
        for d in result.diagnostics {
            if d.range.start < 0 || d.range.end > file.bytes.count {
                problems.append("\(d.code.rawValue) points outside the file: \(d.range)")
            }
            if DiagnosticRenderer().render(d, in: file).isEmpty { problems.append("\(d.code.rawValue) renders as nothing") }
        }
        if let ir = result.ir {
            let errors = Verifier.verify(ir)
            if !errors.isEmpty { problems.append("unverified IR: \(errors.prefix(3).joined(separator: "; "))") }
            _ = IRPrinter.print(ir)
            for s in ir.strategies where ContentHash.canonicalBytes(s) != ContentHash.encoderBytes(s) {
                problems.append("the content hash's JSON differs from JSONEncoder's for strategy \(s.name)")
            }
            do {
                let json = try IRJSON.encode(ir)
                if try IRJSON.encode(IRJSON.decode(json)) != json { problems.append("the IR's JSON does not read back the same") }
            } catch {
                problems.append("the IR's JSON round trip failed: \(error)")
            }
        } else if !result.hasErrors {
            problems.append("no IR, and no error saying why")
        }
        let (program, diags) = Parser.parse(file)
        _ = ASTDump.dump(program)
        if !diags.hasErrors {
            let formatted = Formatter.format(program)
            let reformatted = SourceFile(name: "fuzz.strat", text: formatted)
            let (again, d2) = Parser.parse(reformatted)
            if d2.hasErrors {
                problems.append("fmt's output does not parse: \(d2.items.first.map { "\($0.code.rawValue) \($0.message)" } ?? "")")
            } else if Formatter.format(again) != formatted {
                problems.append("fmt is not a fixed point")
            } else if let ir = result.ir {
                let hashes = ir.strategies.map(\.hash)
                let after = Compiler.compile(reformatted).ir?.strategies.map(\.hash)
                if after != hashes { problems.append("fmt changed the meaning: hashes \(hashes) became \(after ?? [])") }
            }
        }
        return problems
    }

    /// The bar CSV reader, strict and lenient: it returns bars or throws a
    /// `BarCSV.Error` naming a line of the file; strict bars are positive,
    /// consistent (low ≤ open, close ≤ high) and in increasing time.
    public static func barCSV(_ bytes: [UInt8]) -> [String] {
        var problems: [String] = []
        let lines = bytes.count(where: { $0 == 10 }) + 1
        for strict in [true, false] {
            do {
                let series = try BarCSV.parse(data: Data(bytes), file: "fuzz.csv", symbol: "X", strict: strict)
                if let spreads = series.halfSpreads, spreads.count != series.bars.count {
                    problems.append("\(spreads.count) spreads for \(series.bars.count) bars")
                }
                guard strict else { continue }
                for (i, b) in series.bars.enumerated() {
                    if !(b.open > 0 && b.high > 0 && b.low > 0 && b.close > 0 && b.volume >= 0)
                        || b.low > min(b.open, b.close) || b.high < max(b.open, b.close) || !b.high.isFinite || !b.volume.isFinite {
                        problems.append("strict bar \(i) is not a valid bar: \(b)")
                    }
                    if i > 0, b.time <= series.bars[i - 1].time { problems.append("strict bar \(i) is not after the one before") }
                }
            } catch let e as BarCSV.Error {
                if e.line < 1 || e.line > lines { problems.append("the error names line \(e.line) of \(lines): \(e)") }
                if e.message.isEmpty { problems.append("an error without a message at line \(e.line)") }
            } catch {
                problems.append("an error that is not a BarCSV.Error: \(error)")
            }
        }
        return problems
    }
}

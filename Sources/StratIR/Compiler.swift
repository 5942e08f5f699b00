import Foundation
import StratSema
import StratSyntax

/// The driver: Lexer → Parser → Checker → Lowering, stopping after the first
/// phase that reported errors (so later phases never see broken input).
///
///     let result = Compiler.compile(SourceFile(name: "x.strat", text: source))
///     if let ir = result.ir { print(IRPrinter.print(ir)) }
public struct CompileResult: Sendable {
    public var file: SourceFile
    public var program: Program
    public var diagnostics: [Diagnostic]
    public var strategies: [CheckedStrategy]
    /// nil when there were errors.
    public var ir: IRProgram?
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

public enum Compiler {
    public static func compile(_ file: SourceFile) -> CompileResult {
        DeepStack.run { compileInPlace(file) }
    }

    static func compileInPlace(_ file: SourceFile) -> CompileResult {
        var result = checkInPlace(file)
        if !result.hasErrors {
            result.ir = Lowering.lower(result.strategies, file: file)
        }
        return result
    }

    /// The front end without lowering (ir is nil): parse, then check unless the
    /// parse failed. The language server calls this on every edit, as `strat
    /// check` does through `compile`, so both report the same diagnostics.
    public static func check(_ file: SourceFile) -> CompileResult {
        DeepStack.run { checkInPlace(file) }
    }

    static func checkInPlace(_ file: SourceFile) -> CompileResult {
        let (program, parsed) = Parser.parse(file)
        var diags = parsed
        if diags.hasErrors {
            return CompileResult(file: file, program: program, diagnostics: diags.sorted, strategies: [], ir: nil)
        }
        let checked = Checker.check(program, diagnostics: &diags)
        if program.strategies.isEmpty {
            diags.error(.expectedStrategy, "this file declares no strategy; start with `strategy Name { … }`",
                        at: SourceRange(0, 0))
        }
        return CompileResult(file: file, program: program, diagnostics: diags.sorted, strategies: checked, ir: nil)
    }

    /// Compiles one expression (see `Parser.parseEvaluation`): the IR has one
    /// strategy whose only `let`, `value`, is the expression.
    public static func compileExpression(_ file: SourceFile, timeframe: Int64?) -> CompileResult {
        DeepStack.run { compileExpressionInPlace(file, timeframe: timeframe) }
    }

    static func compileExpressionInPlace(_ file: SourceFile, timeframe: Int64?) -> CompileResult {
        let (program, parsed) = Parser.parseEvaluation(file, timeframe: timeframe)
        var diags = parsed
        if diags.hasErrors {
            return CompileResult(file: file, program: program, diagnostics: diags.sorted, strategies: [], ir: nil)
        }
        let checked = Checker.check(program, diagnostics: &diags)
        let found = diags.sorted.filter { $0.code != .unusedLet && $0.code != .noRules }
        if found.contains(where: { $0.severity == .error }) {
            return CompileResult(file: file, program: program, diagnostics: found, strategies: checked, ir: nil)
        }
        return CompileResult(file: file, program: program, diagnostics: found, strategies: checked, ir: Lowering.lower(checked, file: file))
    }

    /// One summary line per strategy, as `strat check` prints it.
    public static func summary(_ s: IRStrategy) -> String {
        let inputs = s.inputs.map { i -> String in
            var t = "\(i.name)=\(display(i.defaultValue, i.type))"
            if let lo = i.min, let hi = i.max { t += " [\(display(lo, i.type))...\(display(hi, i.type))]" }
            return t
        }
        let symbols = s.universe.isEmpty ? "from data" : s.universe.joined(separator: ", ")
        let tfs = s.timeframes.isEmpty ? "from data" : s.timeframes.map(formatDuration).joined(separator: ", ")
        var warm = "\(s.warmup.atDefaults) bars"
        if s.warmup.atMaximum != s.warmup.atDefaults { warm += " (up to \(s.warmup.atMaximum) over input ranges)" }
        return "\(s.name): inputs \(inputs.isEmpty ? "none" : inputs.joined(separator: ", ")); symbols \(symbols); timeframes \(tfs); warm-up \(warm)"
    }

    static func display(_ v: Double, _ type: String) -> String {
        switch type {
        case "Ratio": IRPrinter.num(v * 100) + "%"
        case "Duration": v == v.rounded() && abs(v) < 9e15 ? formatDuration(Int64(v)) : IRPrinter.num(v) + "s"
        case "Bool": v != 0 ? "true" : "false"
        default: IRPrinter.num(v)
        }
    }
}

import StratIR
import StratSema
import StratSyntax

/// What the front end knows about one version of a document: the syntax tree,
/// the diagnostics and the typed strategies (`Compiler.check`, the same pass
/// `strat check` runs, without lowering), and its tokens once a feature asks.
/// Every request on that version reads this; an edit makes a new one.
public final class Analysis {
    public let document: Document
    public let result: CompileResult

    public init(_ document: Document) {
        self.document = document
        result = Compiler.check(document.source)
    }

    public var file: SourceFile { document.source }
    public var program: Program { result.program }

    /// The tokens, lexed once on first use (navigation and completion read them).
    public private(set) lazy var tokens: [Token] = {
        var bag = DiagnosticBag(file: file)
        return Lexer.tokenize(file, diagnostics: &bag).tokens
    }()

    /// The index of the token at a byte offset: the one containing it, else the
    /// one ending at it (the cursor just after a name still means that name).
    public func tokenIndex(at offset: Int) -> Int? {
        var lo = 0, hi = tokens.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let r = tokens[mid].range
            if offset < r.start { hi = mid - 1 } else if offset >= r.end { lo = mid + 1 } else { return mid }
        }
        // lo is the first token starting after offset; the one before may end at it.
        if lo > 0, tokens[lo - 1].range.end == offset, tokens[lo - 1].kind != .eof { return lo - 1 }
        return nil
    }

    public func text(_ r: SourceRange) -> String { file.text(of: r) }

    /// The strategy declaration around an offset, with its index (the same in
    /// `program.strategies` and `result.strategies`).
    public func strategy(at offset: Int) -> (index: Int, decl: StrategyDecl)? {
        for (i, s) in program.strategies.enumerated() where s.range.start <= offset && offset <= s.range.end {
            return (i, s)
        }
        return nil
    }

    public func checked(_ index: Int) -> CheckedStrategy? {
        index < result.strategies.count ? result.strategies[index] : nil
    }
}

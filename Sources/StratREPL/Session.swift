import Foundation
import StratBacktest
import StratData
import StratEngine
import StratIR
import StratMarket
import StratReport
import StratRun
import StratRuntime
import StratSema
import StratSyntax

/// What one input printed, and whether it failed.
public struct Reply: Sendable, Equatable {
    public var out = ""
    public var err = ""
    public var failed = false
    public var quit = false
}

/// A REPL session: loaded bars, the declarations typed so far (inputs, lets,
/// functions), a loaded strategy and input overrides. Every input is compiled as
/// part of one synthetic strategy holding the session's declarations, so it gets
/// exactly the checks and diagnostics of strategy code.
public final class Session {
    struct Declaration {
        var names: [String]
        var text: String
    }

    /// Terminal mode: values as a small table with a sparkline; otherwise one line per result.
    public let interactive: Bool
    public let color: Bool
    public private(set) var data: BarSeries? { didSet { dataLength = data?.barLength } }
    /// The loaded bars' length (calendar months recognised), found once per load.
    var dataLength: BarLength?
    var declarations: [Declaration] = []
    var strategy: IRStrategy?
    var strategyFile: String?
    /// The loaded strategy file's text (for the rule lines `:explain` quotes).
    var strategyText: String?
    /// The last `:backtest`'s result, for `:explain`.
    var lastRun: (result: BacktestResult, provenance: Provenance)?
    var overrides: [String: Double] = [:]
    /// Working directory for relative paths in meta-commands.
    let directory: URL
    /// The unit of integer times in CSV files (`strat repl --time-unit`).
    public var timeUnit: BarCSV.TimeUnit?

    public init(interactive: Bool, color: Bool, directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        self.interactive = interactive
        self.color = color
        self.directory = directory
    }

    /// Names to complete: the session's declarations.
    public var names: [String] { declarations.flatMap(\.names) }

    static let metaCommands = [":help", ":data", ":load", ":set", ":type", ":ir", ":last", ":at", ":plot", ":backtest", ":explain", ":reset", ":quit"]

    // MARK: Input

    public func handle(_ raw: String) -> Reply {
        let input = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if input.isEmpty || input.hasPrefix("//") { return Reply() }
        if input.hasPrefix(":") { return meta(input) }
        if let first = input.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" }).first,
           ["let", "fn", "input"].contains(String(first)) {
            return declare(input)
        }
        return evaluate(input, mode: .show)
    }

    public func loadData(path: String, symbol: String? = nil) -> Reply {
        do {
            let series = try BarCSV.read(path: resolve(path), symbol: symbol, timeUnit: timeUnit)
            guard !series.bars.isEmpty else { return failure("\(path): no bars") }
            data = series
            let iv = dataLength?.description ?? "?"
            return Reply(out: "\(series.symbol): \(series.bars.count) bars of \(iv), \(UTCTime.format(series.bars.first!.time)) … \(UTCTime.format(series.bars.last!.time))\n")
        } catch let e as BarCSV.Error {
            return failure(e.description)
        } catch {
            return failure("\(path): \(error)")
        }
    }

    /// Bars from the SQLite store (`$STRAT_DB` or ~/.strat/strat.db). Without a
    /// market or source, the one stored series of the symbol and interval.
    func loadStored(symbol: String, length: BarLength, market: String?, source: String?) -> Reply {
        do {
            let store = try Store(path: storePath, readOnly: true)
            let found = try store.series(symbol: symbol, length: length, market: market, source: source)
            if found.count > 1 {
                return failure("several stored series match \(symbol) \(length): "
                               + found.map { "\($0.market) from \($0.source)" }.joined(separator: ", ") + "; add MARKET SOURCE")
            }
            let key = found.first ?? SeriesKey(source: source ?? "csv", market: market ?? "spot", symbol: symbol, length: length)
            let bars = try store.bars(key)
            guard !bars.isEmpty else { return failure("no bars stored for \(symbol) \(length) (\(key.market), \(key.source)) in \(storePath)") }
            data = BarSeries(symbol: symbol, bars: bars)
            return Reply(out: "\(symbol): \(bars.count) bars of \(length) from the store, \(UTCTime.format(bars.first!.time)) … \(UTCTime.format(bars.last!.time))\n")
        } catch {
            return failure("\(error)")
        }
    }

    /// The store `:data SYMBOL INTERVAL` reads.
    public var storePath = Store.defaultPath

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : directory.appendingPathComponent(path).path
    }

    func failure(_ message: String) -> Reply {
        Reply(err: (color ? "\u{1B}[31merror\u{1B}[0m: " : "error: ") + message + "\n", failed: true)
    }

    // MARK: Compiling against the session

    /// The session as a strategy, with `extra` as its last member(s); returns the
    /// text and where `extra` starts in it.
    func source(_ extra: String) -> (SourceFile, Int) {
        var t = header
        for d in declarations { t += d.text + "\n" }
        let start = t.utf8.count
        t += extra + "\n}\n"
        return (SourceFile(name: "<session>", text: t), start)
    }

    /// The synthetic strategy's first lines, with the loaded bars' timeframe.
    var header: String {
        let timeframe: String
        switch dataLength {
        case .months(let n)?: timeframe = "  timeframe \(n)M\n"
        case .milliseconds(let ms)?: timeframe = "  timeframe \(ms / 1000)s\n"
        case nil: timeframe = ""
        }
        return "strategy Session {\n  market spot\n" + timeframe
    }

    /// Diagnostics of the input, rendered against the input alone (caret under what
    /// was typed); the session's own warnings about unused names are dropped.
    func render(_ diags: [Diagnostic], input: String, offset: Int, file: SourceFile) -> String {
        let inputFile = SourceFile(name: "<input>", text: input)
        let renderer = DiagnosticRenderer(useColor: color)
        var out = ""
        let quiet: Set<DiagnosticCode> = [.unusedLet, .unusedInput, .unusedFunction, .noRules]
        let end = offset + input.utf8.count
        for var d in diags where !quiet.contains(d.code) {
            // The session's own closing brace is not the user's: an input that
            // stops early (a bare `let`) ends there, and the synthetic strategy
            // left open by it is not reported.
            if d.code == .unclosedBrace, d.range.start >= offset { continue }
            if d.range.start >= end {
                d.message = d.message.replacingOccurrences(of: "found `}`", with: "found the end of the input")
            }
            if d.range.start >= offset {
                out += renderer.render(shifted(d, by: -offset), in: inputFile)
            } else {
                out += renderer.render(d, in: file)
            }
        }
        return out
    }

    func shifted(_ d: Diagnostic, by delta: Int) -> Diagnostic {
        func move(_ r: SourceRange) -> SourceRange { SourceRange(max(0, r.start + delta), max(0, r.end + delta)) }
        var d = d
        d.range = move(d.range)
        d.highlights = d.highlights.map(move)
        d.notes = d.notes.map { Note($0.message, at: $0.range.map(move)) }
        d.fixIts = d.fixIts.map { FixIt(range: move($0.range), replacement: $0.replacement) }
        return d
    }

    /// `let`, `fn` and `input` add to the session; a name typed again replaces its
    /// earlier definition in place (like re-running a notebook cell).
    func declare(_ input: String) -> Reply {
        let (probe, _) = source(input)
        let (program, parseDiags) = Parser.parse(probe)
        guard !parseDiags.hasErrors, let member = program.strategies.first?.members.last else {
            let (file, offset) = source(input)
            return Reply(err: render(parseDiags.sorted, input: input, offset: offset, file: file), failed: true)
        }
        let names: [String]
        switch member {
        case .binding(let d): names = d.names.map(\.name)
        case .function(let d): names = [d.name.name]
        case .input(let d): names = [d.name.name]
        default: return failure("only `let`, `fn` and `input` declarations can be typed here")
        }
        let replacing = declarations.firstIndex { !Set($0.names).isDisjoint(with: names) }
        var candidate = declarations
        if let r = replacing { candidate[r] = Declaration(names: names, text: "  " + input) } else { candidate.append(Declaration(names: names, text: "  " + input)) }
        let saved = declarations
        declarations = candidate
        var t = header
        var offset = 0
        for (i, d) in declarations.enumerated() {
            if i == (replacing ?? declarations.count - 1) { offset = t.utf8.count + 2 }
            t += d.text + "\n"
        }
        t += "}\n"
        let file = SourceFile(name: "<session>", text: t)
        let result = Compiler.compile(file)
        let diags = render(result.diagnostics, input: input, offset: offset, file: file)
        if result.hasErrors {
            declarations = saved
            return Reply(err: diags, failed: true)
        }
        var reply = Reply(err: diags)
        if case .binding(let d) = member, let checked = result.strategies.first {
            for n in d.names.map(\.name) {
                guard let l = checked.lets.first(where: { $0.name == n }) else { continue }
                reply.out += "\(n): \(l.value.type)" + (data == nil ? "\n" : " = " + lastValue(of: n, in: result.ir) + "\n")
            }
        } else if case .input(let d) = member, let i = result.ir?.strategies.first?.inputs.first(where: { $0.name == d.name.name }) {
            reply.out += "\(i.name) = \(Display.value(overrides[i.name] ?? i.defaultValue, i.type)) (input \(i.type))\n"
        } else if case .function(let d) = member {
            reply.out += "fn \(d.name.name)(\(d.parameters.map(\.name).joined(separator: ", ")))\n"
        }
        return reply
    }

    func lastValue(of name: String, in ir: IRProgram?) -> String {
        guard let s = ir?.strategies.first, let data else { return "" }
        do {
            let e = try Evaluation.run(s, letNamed: name, series: data, overrides: overrides)
            return e.columns.indices.map { c in
                (e.columns.count > 1 ? e.columns[c] + " " : "") + Display.value(e.values[c].last ?? .nan, e.dimension)
            }.joined(separator: ", ")
        } catch {
            return "(\(error))"
        }
    }

    enum Mode {
        case show, type, ir
        case last(Int)
        case at(Int64)
    }

    /// Compiles an expression in the session; its diagnostics go to `reply`, and
    /// nil (with `reply.failed`) if it has errors.
    func compile(_ input: String, into reply: inout Reply) -> (IRStrategy, SType)? {
        let prefix = "  let __repl = "
        let (file, start) = source(prefix + input)
        let result = Compiler.compile(file)
        reply.err += render(result.diagnostics, input: input, offset: start + prefix.utf8.count, file: file)
        guard let s = result.ir?.strategies.first, !result.hasErrors,
              let type = result.strategies.first?.lets.last(where: { $0.name == "__repl" })?.value.type else {
            reply.failed = true
            return nil
        }
        return (s, type)
    }

    func evaluate(_ input: String, mode: Mode) -> Reply {
        var reply = Reply()
        guard let (s, type) = compile(input, into: &reply) else { return reply }
        let typeText = type.description
        if case .type = mode { reply.out += typeText + "\n"; return reply }
        if case .ir = mode { reply.out += IRPrinter.print(s); return reply }
        guard let data else {
            // Without bars only a value known before the run can be shown.
            let node = s.nodes[s.lets.last!.node]
            if node.op == .const, let v = node.value {
                reply.out += interactive ? "\(paint(typeText))\n  \(Display.value(v, node.type.dim))\n" : "\(typeText) = \(Display.value(v, node.type.dim))\n"
            } else {
                reply.out += "\(typeText)\n" + (interactive ? "  (load bars with :data FILE.csv to see its values)\n" : "")
            }
            return reply
        }
        let e: EvaluatedSeries
        do { e = try Evaluation.run(s, letNamed: "__repl", series: data, overrides: overrides) } catch {
            return failure("\(error)")
        }
        let n = e.times.count
        func row(_ i: Int) -> String {
            e.columns.indices.map { c in (e.columns.count > 1 ? e.columns[c] + " " : "") + Display.value(e.values[c][i], e.dimension) }
                .joined(separator: ", ")
        }
        switch mode {
        case .last(let k):
            for i in max(0, n - k)..<n { reply.out += "\(UTCTime.format(e.times[i]))  \(row(i))\n" }
        case .at(let t):
            guard let i = e.times.lastIndex(where: { $0 <= t }) else { return failure("no bar at or before \(UTCTime.format(t))") }
            reply.out += "\(UTCTime.format(e.times[i]))  \(row(i))\n"
        default:
            if type.qualifier != .series {
                // Known before the run: one value, the same on every bar.
                reply.out += interactive ? "\(paint(typeText))\n  \(row(n - 1))\n" : "\(typeText) = \(row(n - 1))\n"
            } else if interactive {
                reply.out += paint(typeText) + "\n"
                for i in max(0, n - 5)..<n { reply.out += "  \(UTCTime.format(e.times[i]))  \(row(i))\n" }
                let shown = e.values[0].suffix(60)
                reply.out += "  \(Display.sparkline(shown))  last \(shown.count) bars\n"
            } else {
                reply.out += "\(typeText) = \(row(n - 1))\n"
            }
        }
        return reply
    }

    func paint(_ s: String) -> String { color ? "\u{1B}[36m\(s)\u{1B}[0m" : s }

    // MARK: Meta-commands

    func meta(_ input: String) -> Reply {
        let parts = input.split(separator: " ", maxSplits: 1).map(String.init)
        let command = parts[0], rest = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch command {
        case ":help", ":h":
            return Reply(out: Self.help)
        case ":quit", ":q", ":exit":
            return Reply(quit: true)
        case ":data":
            let args = rest.split(separator: " ").map(String.init)
            guard let path = args.first else { return failure(":data FILE.csv [SYMBOL], or :data SYMBOL INTERVAL [MARKET [SOURCE]] from the store") }
            if args.count > 1, let length = BarLength(parsing: args[1]), !path.lowercased().hasSuffix(".csv") {
                return loadStored(symbol: path, length: length, market: args.count > 2 ? args[2] : nil, source: args.count > 3 ? args[3] : nil)
            }
            return loadData(path: path, symbol: args.count > 1 ? args[1] : nil)
        case ":load":
            let args = rest.split(separator: " ").map(String.init)
            guard let path = args.first else { return failure(":load FILE.strat [STRATEGY]") }
            return load(path, name: args.count > 1 ? args[1] : nil)
        case ":set":
            return set(rest)
        case ":type":
            return rest.isEmpty ? failure(":type EXPR") : evaluate(rest, mode: .type)
        case ":ir":
            return rest.isEmpty ? failure(":ir EXPR") : evaluate(rest, mode: .ir)
        case ":last":
            let args = rest.split(separator: " ", maxSplits: 1).map(String.init)
            guard args.count == 2, let k = Int(args[0]), k > 0 else { return failure(":last N EXPR (N a whole number above 0)") }
            return evaluate(args[1], mode: .last(k))
        case ":at":
            let args = rest.split(separator: " ", maxSplits: 1).map(String.init)
            guard args.count == 2, let t = UTCTime.parse(Substring(args[0])) else {
                return failure(":at TIME EXPR (TIME as 2024-01-31 or 2024-01-31T12:00:00Z)")
            }
            return evaluate(args[1], mode: .at(t))
        case ":plot":
            return plot(rest)
        case ":backtest":
            return backtest(rest)
        case ":explain":
            return explain(rest)
        case ":reset":
            declarations = []
            strategy = nil
            strategyFile = nil
            strategyText = nil
            lastRun = nil
            overrides = [:]
            return Reply(out: "session reset" + (data != nil ? " (bars kept)" : "") + "\n")
        default:
            return failure("unknown command \(command); :help lists them")
        }
    }

    static let help = """
        Type an expression to see its type, last values and a sparkline, or declare
        `let name = …`, `fn name(a, b) = …`, `input name = …` (they stay for the session;
        a name typed again is replaced). Unclosed ( [ { continue on the next line.
          :data FILE.csv [SYMBOL]   load bars (time,open,high,low,close,volume)
          :data SYMBOL INTERVAL     load stored bars (strat data import); [MARKET [SOURCE]]
          :load FILE.strat [NAME]   bring a strategy's inputs, lets and functions into scope
          :set NAME=VALUE           override an input (checked against its type and range)
          :type EXPR                the type only
          :ir EXPR                  the compiled IR
          :last N EXPR              the last N values
          :at TIME EXPR             the value on the bar at or before TIME
          :plot EXPR [FILE.svg]     an SVG chart of EXPR with the close (default plot.svg)
          :backtest [OPTIONS]       run the loaded strategy over the bars; options as for
                                    strat backtest: --capital N --fees BPS --lot-size N
                                    --tick-size N --half-spread BPS --slippage MODEL
                                    --fill next-open|close --from DATE --latency MS …
          :explain N                why trade N of the last :backtest happened
          :reset                    forget declarations, the strategy and overrides (bars stay)
          :quit                     leave (also Ctrl-D); Ctrl-C abandons the current input

        """

    func load(_ path: String, name: String?) -> Reply {
        let full = resolve(path)
        guard let text = try? String(contentsOfFile: full, encoding: .utf8) else { return failure("\(path): cannot read the file") }
        let file = SourceFile(name: path, text: text)
        let result = Compiler.compile(file)
        let renderer = DiagnosticRenderer(useColor: color)
        let diags = result.diagnostics.map { renderer.render($0, in: file) }.joined()
        guard let ir = result.ir else { return Reply(err: diags, failed: true) }
        let (program, _) = Parser.parse(file)
        guard let index = name.map({ n in ir.strategies.firstIndex { $0.name == n } }) ?? (ir.strategies.isEmpty ? nil : 0) else {
            return failure("\(path) has no strategy \(name ?? "")")
        }
        let decl = program.strategies[index]
        let bytes = Array(text.utf8)
        var added: [String] = []
        for m in decl.members {
            let names: [String]
            switch m {
            case .input(let d): names = [d.name.name]
            case .binding(let d): names = d.names.map(\.name)
            case .function(let d): names = [d.name.name]
            default: continue
            }
            let slice = String(decoding: bytes[m.range.start..<m.range.end], as: UTF8.self)
            let entry = Declaration(names: names, text: "  " + slice)
            if let r = declarations.firstIndex(where: { !Set($0.names).isDisjoint(with: names) }) { declarations[r] = entry } else { declarations.append(entry) }
            added += names
        }
        // The session must still compile (a name loaded may clash with one typed).
        let check = Compiler.compile(source("").0)
        if check.hasErrors {
            return failure("after loading \(path) the session does not compile: " + check.diagnostics.filter { $0.severity == .error }.map(\.message).joined(separator: "; "))
        }
        strategy = ir.strategies[index]
        strategyFile = path
        strategyText = text
        lastRun = nil
        return Reply(out: "loaded \(ir.strategies[index].name) from \(path): \(added.joined(separator: ", "))\n", err: diags)
    }

    func set(_ text: String) -> Reply {
        guard let eq = text.firstIndex(of: "=") else { return failure(":set NAME=VALUE") }
        let name = text[..<eq].trimmingCharacters(in: .whitespaces), value = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        let result = Compiler.compile(source("").0)
        guard let inputs = result.ir?.strategies.first?.inputs, let input = inputs.first(where: { $0.name == name }) else {
            let known = result.ir?.strategies.first?.inputs.map(\.name) ?? []
            return failure("no input named `\(name)`" + (known.isEmpty ? "; declare one with `input \(name) = …` or :load a strategy" : "; the inputs are \(known.joined(separator: ", "))"))
        }
        guard let v = InputBinding.parse(value, type: input.type) else { return failure("`\(value)` is not a \(input.type) value") }
        // The range in the input's own terms (2%, not 0.02).
        func shown(_ x: Double) -> String { input.type == "Ratio" ? String(format: "%.10g", x * 100) + "%" : String(format: "%.10g", x) }
        if v.isFinite, (input.min.map { v < $0 } ?? false) || (input.max.map { v > $0 } ?? false) {
            return failure("\(name) = \(shown(v)) is outside the declared range \(input.min.map(shown) ?? "")...\(input.max.map(shown) ?? "")")
        }
        do { _ = try InputBinding.resolve(inputs, overrides: [name: v]) } catch { return failure("\(error)") }
        overrides[name] = v
        return Reply(out: "\(name) = \(Display.value(v, input.type))\n")
    }

    func plot(_ text: String) -> Reply {
        guard !text.isEmpty else { return failure(":plot EXPR [FILE.svg]") }
        var expression = text, path = "plot.svg"
        if let last = text.split(separator: " ").last, last.hasSuffix(".svg"), text.split(separator: " ").count > 1 {
            path = String(last)
            expression = String(text.dropLast(last.count)).trimmingCharacters(in: .whitespaces)
        }
        guard let data else { return failure("no bars: load some with :data FILE.csv") }
        var reply = Reply()
        guard let (s, _) = compile(expression, into: &reply) else { return reply }
        do {
            let e = try Evaluation.run(s, letNamed: "__repl", series: data, overrides: overrides)
            let svg = Display.svg(title: expression, times: e.times, values: e.values[0], close: data.bars.map(\.close))
            let full = resolve(path), dir = URL(fileURLWithPath: full).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
                return failure("\(path): no such directory \(dir)")
            }
            if let reason = Self.writeWhole(svg, to: full) { return failure("\(path): cannot write: \(reason)") }
            reply.out += "wrote \(path) (\(e.times.count) bars)\n"
            return reply
        } catch {
            return failure("\(error)")
        }
    }

    /// Writes `text` to `path` through a temporary file beside it, renamed over
    /// it: a file already there is replaced whole or not at all. Nil when
    /// written, else why not. (Foundation's atomic write, when the directory
    /// refuses its temporary file, makes a directory in /tmp and leaves it there.)
    static func writeWhole(_ text: String, to path: String) -> String? {
        let temp = path + ".\(getpid()).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        var failure = writeFully(fd, Data(text.utf8))
        if close(fd) != 0, failure == 0 { failure = errno }
        if failure == 0, rename(temp, path) == 0 { return nil }
        let reason = String(cString: strerror(failure != 0 ? failure : errno))
        unlink(temp)
        return reason
    }

    func backtest(_ options: String) -> Reply {
        guard let strategy else { return failure("no strategy: load one with :load FILE.strat") }
        guard var data else { return failure("no bars: load some with :data FILE.csv") }
        if strategy.universe.count == 1 { data.symbol = strategy.universe[0] }
        var config: BacktestConfig
        do { config = try Self.options(options).config(for: strategy, file: strategyFile ?? strategy.name) } catch {
            return failure(":backtest: \(error)")
        }
        config.inputs = overrides.filter { k, _ in strategy.inputs.contains { $0.name == k } }
        do {
            let r = try Backtest.run(strategy, data: [data], config: config)
            let inputs = (try? InputBinding.resolve(strategy.inputs, overrides: config.inputs)) ?? []
            lastRun = (r, Provenance(strategyFile: strategyFile ?? strategy.name, strategySHA256: "", irHash: strategy.hash,
                                     inputs: zip(strategy.inputs, inputs).map { ($0.0.name, $0.1) }, data: [], config: config,
                                     sourceLines: strategyText.map { Provenance.ruleLines($0, strategy) } ?? [:]))
            return Reply(out: Report.summary(r), err: r.warnings.map { "warning: \($0)\n" }.joined() + r.notices.lines.map { "note: \($0)\n" }.joined())
        } catch {
            return failure("\(error)")
        }
    }

    func explain(_ rest: String) -> Reply {
        guard let n = Int(rest), n > 0 else { return failure(":explain N (N a trade's number, from 1)") }
        guard let run = lastRun else { return failure("no backtest yet: run :backtest first") }
        do { return Reply(out: try Explain.text(try ReportDocument(run.result, run.provenance), trade: n)) } catch {
            return failure("\(error)")
        }
    }

    /// `:backtest`'s options, written as for `strat backtest` (`--name value` or
    /// `--name=value`), checked as it checks them.
    static func options(_ text: String) throws -> BacktestOptions {
        var options = BacktestOptions()
        var words = text.split(separator: " ").flatMap { w -> [String] in
            w.hasPrefix("--") && w.contains("=") ? w.split(separator: "=", maxSplits: 1).map(String.init) : [String(w)]
        }[...]
        while let name = words.popFirst() {
            guard let value = words.popFirst() else { throw RunError.invalidOption("\(name) needs a value") }
            try options.assign(flag: name, value)
        }
        try options.validate()
        return options
    }
}

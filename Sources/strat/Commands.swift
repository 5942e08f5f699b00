import ArgumentParser
import StratIR
import StratSyntax

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check strategies and report diagnostics.",
        discussion: "Exit status: 0 clean (warnings allowed), 1 errors found, 2 usage or I/O error.")

    @Argument(help: "Strategy files (.strat).")
    var files: [String]

    @Option(help: "Diagnostics as text on stderr, or a JSON array on stdout.")
    var format: OutputFormat = .text

    func run() throws {
        try withUsageErrors {
            var failed = false, unreadable = false
            var all: [DiagnosticJSON] = []
            // A file that cannot be read is reported and the others still checked.
            for path in files {
                let file: SourceFile
                do { file = try readSource(path) } catch let e as UsageError {
                    writeStderr("strat: error: \(e.description)\n")
                    unreadable = true
                    continue
                }
                let result = Compiler.compile(file)
                failed = failed || result.hasErrors
                switch format {
                case .json:
                    all += result.diagnostics.map { DiagnosticJSON($0, file) }
                case .text:
                    renderDiagnostics(result.diagnostics, file)
                    for s in result.ir?.strategies ?? [] { print(Compiler.summary(s)) }
                }
            }
            if format == .json { try printJSON(all) }
            if unreadable { throw ExitCode(2) }
            if failed { throw ExitCode(1) }
        }
    }
}

struct Fmt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a strategy in the canonical layout (comments kept).")

    @Argument(help: "A strategy file.")
    var file: String

    @Flag(help: "Rewrite the file in place instead of printing it.")
    var write = false

    @Flag(help: "Exit 1 if the file is not already formatted; print nothing.")
    var check = false

    func run() throws {
        try withUsageErrors {
            let source = try readSource(file)
            let (program, diags) = Parser.parse(source)
            if diags.hasErrors {
                renderDiagnostics(diags.sorted, source)
                throw ExitCode(1)
            }
            let formatted = Formatter.format(program)
            if check {
                if formatted != source.text { writeStderr("\(file): not formatted\n"); throw ExitCode(1) }
            } else if write {
                if formatted != source.text { try rewrite(file, with: formatted) }
            } else {
                print(formatted, terminator: "")
            }
        }
    }
}

struct AST: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ast", abstract: "Print the syntax tree.")

    @Argument(help: "A strategy file.")
    var file: String

    func run() throws {
        try withUsageErrors {
            let source = try readSource(file)
            let (program, diags) = Parser.parse(source)
            renderDiagnostics(diags.sorted, source)
            print(ASTDump.dump(program), terminator: "")
            if diags.hasErrors { throw ExitCode(1) }
        }
    }
}

struct IR: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ir", abstract: "Compile and print the IR.")

    @Argument(help: "A strategy file.")
    var file: String

    @Option(help: "Text, or the JSON serialisation.")
    var format: OutputFormat = .text

    func run() throws {
        try withUsageErrors {
            let source = try readSource(file)
            let result = Compiler.compile(source)
            renderDiagnostics(result.diagnostics, source)
            guard let ir = result.ir else { throw ExitCode(1) }
            switch format {
            case .text: print(IRPrinter.print(ir), terminator: "")
            case .json: print(String(decoding: try IRJSON.encode(ir), as: UTF8.self))
            }
        }
    }
}

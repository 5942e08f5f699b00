import ArgumentParser
import Foundation

/// `strat`: thin commands over the library modules.
struct Strat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strat",
        abstract: "Write, check and compile trading strategies.",
        version: "0.1.0",
        subcommands: [Check.self, Fmt.self, AST.self, IR.self, Eval.self, BacktestCommand.self, ReportCommand.self, ExplainCommand.self, TestCommand.self, BatchCommand.self, ReplCommand.self, DataCommand.self, LSPCommand.self, ServeCommand.self, WorkerCommand.self, TokenCommand.self, Bench.self]
    )
}

// Usage errors exit with 2 (not ArgumentParser's 64), like I/O errors; our own
// commands throw ExitCode(1) when the input has errors. Every usage error is
// one `strat: error: …` line, then a note naming the command's help.
do {
    var command = try Strat.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = Strat.exitCode(for: error)
    if code == .success {
        print(Strat.fullMessage(for: error))
        exit(0)
    }
    writeStderr(usageErrorText(message: Strat.message(for: error), full: Strat.fullMessage(for: error)))
    exit(2)
}

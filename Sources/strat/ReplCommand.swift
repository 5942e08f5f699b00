import ArgumentParser
import Foundation
import StratMarket
import StratREPL

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Explore indicators and strategies interactively.",
        discussion: """
            On a terminal: line editing, history in ~/.strat_history (or $STRAT_HISTORY), tab \
            completion, Ctrl-C abandons the input, Ctrl-D leaves. With stdin not a terminal \
            (strat repl --data F.csv < session.txt) there are no prompts or colours, one result \
            per line, and the exit status is 1 if any input had an error. Type :help inside.
            """)

    @Option(help: "A CSV file of bars to load first.")
    var data: String?

    @Option(help: "The symbol of those bars (default: the file name).")
    var symbol: String?

    @Option(help: "A strategy file to load first.")
    var load: String?

    @OptionGroup var time: TimeUnitOption

    func validate() throws {
        if let symbol { try checkSymbol(symbol) }
    }

    func run() throws {
        let interactive = isatty(0) != 0
        let color = interactive && isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let session = Session(interactive: interactive, color: color)
        session.timeUnit = time.timeUnit
        var failed = false
        for reply in [data.map { session.loadData(path: $0, symbol: symbol) }, load.map { session.handle(":load \($0)") }].compactMap({ $0 }) {
            REPL.emit(reply)
            failed = failed || reply.failed
        }
        let reader: LineReader
        if interactive {
            let env = ProcessInfo.processInfo.environment
            let history = env["STRAT_HISTORY"] ?? (NSHomeDirectory() + "/.strat_history")
            if session.data == nil { print("strat repl — :help for commands, :data FILE.csv to load bars") }
            reader = ReadlineReader(historyPath: history, prompt: REPL.prompt) { REPL.completions(session) }
        } else {
            reader = PlainReader()
        }
        let status = REPL.run(session, reader: reader)
        if failed || status != 0 { throw ExitCode(1) }
    }
}

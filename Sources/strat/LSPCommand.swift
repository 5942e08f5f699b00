import ArgumentParser
import Foundation
import StratLSP
import StratRun
import StratSyntax
#if canImport(Glibc)
import Glibc
#endif

/// `strat lsp`: the language server on stdin and stdout (Docs/Editors.md).
struct LSPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "Run the language server (LSP over stdin and stdout) for editors.",
        discussion: "Exit status: 0 after `shutdown` then `exit`, 1 when the input ends or `exit` comes without `shutdown`.")

    @Option(help: "Complete the symbols stored in this market-data store (`strat data`).")
    var db: String?

    func run() throws {
        try withUsageErrors {
            var symbols: [String] = []
            if let db { symbols = Set(try openStore(db, readOnly: true).list().map(\.key.symbol)).sorted() }
            // An editor that goes away leaves a closed pipe: writes fail instead of killing us, and the read ends.
            signal(SIGPIPE, SIG_IGN)
            let server = Server(storeSymbols: symbols, send: MessageWriter(fileDescriptor: 1).send)
            let status = server.run(MessageReader(fileDescriptor: 0))
            if status != 0 { throw ExitCode(status) }
        }
    }
}

/// Re-checking a generated strategy after one-character edits, as the server
/// does on every keystroke: apply the change, parse and check, and convert
/// the diagnostics for publishing.
struct LSPBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lsp",
        abstract: "Time the language server's re-check after a keystroke.")

    @Option(parsing: .unconditional, help: "Lines in the generated strategy.")
    var lines = 2_000

    @Option(parsing: .unconditional, help: "Keystrokes to time.")
    var edits = 200

    func validate() throws {
        try validating { () throws(RunError) in
            try checkOption("--lines", lines, from: 10, to: 1_000_000, unit: "a number of lines")
            try checkOption("--edits", edits, from: 1, to: 100_000, unit: "a number of edits")
        }
    }

    func run() throws {
        let text = CompileBench.generate(lines: lines)
        var published = 0
        let server = Server { message in
            _ = frame(message)   // serialised, as the server writes it
            if message["method"] as? String == "textDocument/publishDiagnostics" { published += 1 }
        }
        let uri = "file:///bench/generated.strat"
        func send(_ m: JSONObject) { _ = server.handle(.message(try! JSONSerialization.data(withJSONObject: m))) }
        send(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": [String: Any]()])
        send(["jsonrpc": "2.0", "method": "textDocument/didOpen",
              "params": ["textDocument": ["uri": uri, "languageId": "strat", "version": 1, "text": text]]])
        // Type a space then delete it, alternately, in the middle of the file.
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).count / 2
        var times: [Double] = []
        for i in 0..<edits {
            let at = ["line": line, "character": 2]
            let range = i % 2 == 0 ? ["start": at, "end": at] : ["start": at, "end": ["line": line, "character": 3]]
            let change: [String: Any] = ["range": range, "text": i % 2 == 0 ? " " : ""]
            let body = try! JSONSerialization.data(withJSONObject: [
                "jsonrpc": "2.0", "method": "textDocument/didChange",
                "params": ["textDocument": ["uri": uri, "version": i + 2], "contentChanges": [change]]] as [String: Any])
            let start = DispatchTime.now().uptimeNanoseconds
            _ = server.handle(.message(body))
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        let actual = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        print(String(format: "lsp: %d lines, %d keystrokes (%d diagnostics messages): median %.1f ms, p95 %.1f ms, max %.1f ms",
                     actual, edits, published - 1, times[times.count / 2], times[min(times.count - 1, times.count * 95 / 100)], times.last!))
    }
}

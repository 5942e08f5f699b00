import ArgumentParser
import Foundation
import StratBacktest
import StratMarket
import StratReport
import StratRun

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Make the HTML report of a result written by `strat backtest --json` or of a batch written by `strat batch --out FILE.json`.",
        discussion: "One self-contained HTML file (Docs/Reports.md). Exit status: 0 success, 2 usage, I/O or data error.")

    @Argument(help: "A result's JSON (strat backtest --json) or a batch's (strat batch --out FILE.json).")
    var result: String

    @Option(name: [.short, .customLong("output")], help: "Write the HTML here.")
    var output: String

    func run() throws {
        try withUsageErrors {
            try checkOutputs([("-o", output)], inputs: [("the result", result)])
            let data = try readJSONFile(result)
            let html: String
            do {
                switch try BatchDocument.read(data) {
                case .sweep(let s)?: html = BatchHTMLReport.render(s)
                case .walkForward(let w)?: html = BatchHTMLReport.render(w)
                case nil: html = HTMLReport.render(try ReportDocument(json: data))
                }
            } catch let e as ReportError {
                throw UsageError(description: "\(result): \(e.description)")
            }
            try writeOutput(Data(html.utf8), to: output, option: "-o")
        }
    }
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say why a trade happened: the rule, its condition's values, sizing, risk, orders, fills and exit.",
        discussion: """
            strat explain N RESULT.json reads a result written by `strat backtest --json`; \
            strat explain N STRATEGY --data … [backtest options] runs the backtest first. \
            Exit status: 0 success, 1 the strategy has errors, 2 usage, I/O or data error.
            """)

    @Argument(help: "The trade's number (from 1, as in the report and the --trades CSV).")
    var trade: Int

    @Argument(parsing: .captureForPassthrough, help: "RESULT.json, or a strategy file and the options of `strat backtest`.")
    var source: [String] = []

    func run() throws {
        try withUsageErrors {
            guard let first = source.first else {
                throw UsageError(description: "give a result (RESULT.json) or a strategy and its --data after the trade number")
            }
            let doc: ReportDocument
            if source.count == 1, first.hasSuffix(".json") {
                doc = try readResult(first)
            } else {
                let options: RunOptions
                do { options = try RunOptions.parse(source) } catch {
                    throw UsageError(description: RunOptions.message(for: error))
                }
                let prepared = try options.prepare()
                let r = try prepared.run(prepared.config)
                do { doc = try ReportDocument(r, try prepared.provenance(prepared.config)) } catch let e as ReportError {
                    throw UsageError(description: "internal error reading the result back: \(e.description)")
                }
            }
            do { print(try Explain.text(doc, trade: trade), terminator: "") } catch let e as ReportError {
                throw UsageError(description: e.description)
            }
        }
    }
}

/// A result's JSON, read for a report; errors name the file and the field.
func readResult(_ path: String) throws -> ReportDocument {
    let data = try readJSONFile(path)
    do { return try ReportDocument(json: data) } catch let e as ReportError {
        throw UsageError(description: "\(path): \(e.description)")
    }
}

/// The bytes of a JSON file to report on; errors name the file.
func readJSONFile(_ path: String) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw UsageError(description: "\(path): no such file") }
    guard !isDirectory.boolValue else { throw UsageError(description: "\(path): is a directory; expected a result's JSON") }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw UsageError(description: "\(path): cannot read the file: \(posixReason(error))")
    }
    return data
}

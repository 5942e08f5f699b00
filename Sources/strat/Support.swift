import ArgumentParser
import Foundation
import StratData
import StratIR
import StratMarket
import StratRun
import StratSyntax

/// An I/O or usage problem: printed as `strat: error: …`, exit status 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
}

func readSource(_ path: String) throws -> SourceFile {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw UsageError(description: "\(path): no such file")
    }
    guard !isDirectory.boolValue else { throw UsageError(description: "\(path): is a directory; expected a strategy file (.strat)") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw UsageError(description: "\(path): cannot be read")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw UsageError(description: "\(path): not UTF-8 text")
    }
    return SourceFile(name: path, text: text)
}

func writeStderr(_ s: String) {
    FileHandle.standardError.write(Data(s.utf8))
}

/// Runs `body`, turning a UsageError (or a store's or the library's error) into
/// "strat: error: …" and exit status 2.
func withUsageErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as UsageError {
        writeStderr("strat: error: \(e.description)\n")
        throw ExitCode(2)
    } catch let e as StoreError {
        writeStderr("strat: error: \(e.description)\n")
        throw ExitCode(2)
    } catch let e as RunError {
        writeStderr("strat: error: \(e.description)\n")
        throw ExitCode(2)
    }
}

/// A command's `validate()` over the library's checks: their message, as
/// ArgumentParser prints a validation error.
func validating(_ body: () throws(RunError) -> Void) throws {
    do { try body() } catch { throw ValidationError(error.description) }
}

/// What preparing a run reports, on stderr as `strat: warning: …` and `strat: note: …`.
func printMessage(_ m: RunMessage) {
    switch m {
    case .warning(let w): writeStderr("strat: warning: \(w)\n")
    case .note(let n): writeStderr("strat: note: \(n)\n")
    case .diagnostics(let diagnostics, let file): renderDiagnostics(diagnostics, file)
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

func renderDiagnostics(_ diags: [Diagnostic], _ file: SourceFile) {
    let renderer = DiagnosticRenderer(useColor: isatty(2) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
    for d in diags { writeStderr(renderer.render(d, in: file)) }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try e.encode(value))
    print()
}

/// ArgumentParser's message as `strat: error: …` (its first line; any further
/// lines indented beneath it) and the help to read as a note.
func usageErrorText(message: String, full: String) -> String {
    var lines = message.split(separator: "\n", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
    if let first = lines.first, first.hasPrefix("Error: ") { lines[0] = String(first.dropFirst(7)) }
    var text = "strat: error: " + (lines.first ?? "invalid arguments") + "\n"
    for line in lines.dropFirst() { text += "  " + line + "\n" }
    // "See 'strat backtest --help' for more information."
    if let see = full.range(of: "See '"), let end = full[see.upperBound...].firstIndex(of: "'") {
        text += "strat: note: see `\(full[see.upperBound..<end])`\n"
    }
    return text
}

extension BarCSV.TimeUnit: ExpressibleByArgument {}

/// `--time-unit`, shared by every command that reads a CSV of bars.
struct TimeUnitOption: ParsableArguments {
    @Option(name: .customLong("time-unit"), help: "The unit of integer times in the CSV: s, ms, us or ns (default: milliseconds, and other magnitudes are refused with the likely unit).")
    var timeUnit: BarCSV.TimeUnit?
}

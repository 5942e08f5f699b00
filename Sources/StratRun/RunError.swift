import Foundation
import StratBacktest
import StratBatch
import StratData
import StratMarket
import StratRuntime
import StratSyntax

/// Why a backtest or a sweep could not be prepared or run. `description` is
/// the message the CLI prints after `strat: error: `; `code` is a stable name a
/// server maps to a problem type.
///
///     do { try options.validate() } catch { print(error.code, error) }
///     // invalid-option --capital must be a number above 0 and at most 1000000000000000, got 0
public enum RunError: Error, CustomStringConvertible, Sendable {
    /// An option out of its range or not understood (named as the CLI's flag).
    case invalidOption(String)
    /// A key of the options' JSON that is no option.
    case unknownOptionKey(key: String, known: [String])
    /// The strategy does not compile: its diagnostics, against its source.
    case strategy([Diagnostic], SourceFile)
    /// A defect in a data file or CSV text: where, and what was expected.
    case data(DataDefect)
    case noSuchFile(path: String)
    case store(String)
    /// No bars (or no symbols) stored for what the data asks.
    case unknownSeries(String)
    /// Stored data below the quality asked for (`strict`).
    case dataQuality(String)
    /// An input override (`set`) that is no input or not one of its values.
    case invalidInput(String)
    /// A sweep's points: their specification, constraint or settings.
    case invalidPoint(String)
    /// The engine refused the run (e.g. a resolved input out of its range).
    case run(String)
    /// Its `RunControl` stopped the run (a server's job: cancelled, over its time, shutting down).
    case stopped(String)

    public var code: String {
        switch self {
        case .invalidOption: "invalid-option"
        case .unknownOptionKey: "unknown-option-key"
        case .strategy: "strategy-errors"
        case .data: "data-error"
        case .noSuchFile: "no-such-file"
        case .store: "store-error"
        case .unknownSeries: "unknown-series"
        case .dataQuality: "data-quality"
        case .invalidInput: "invalid-input"
        case .invalidPoint: "invalid-point"
        case .run: "run-error"
        case .stopped: "stopped"
        }
    }

    public var description: String {
        switch self {
        case .invalidOption(let m), .store(let m), .unknownSeries(let m), .dataQuality(let m), .invalidInput(let m), .invalidPoint(let m), .run(let m):
            m
        case .stopped(let why): "stopped: \(why)"
        case .unknownOptionKey(let key, let known):
            "unknown option `\(key)`; the options are \(known.joined(separator: ", "))"
        case .strategy(let diagnostics, let file):
            diagnostics.map { DiagnosticRenderer(useColor: false).render($0, in: file) }.joined()
        case .data(let d): d.description
        case .noSuchFile(let path): "\(path): no such file"
        }
    }

    /// The error a library below threw, classified; its text kept.
    init(_ error: any Error) {
        switch error {
        case let e as RunError: self = e
        case let e as BarCSV.Error:
            self = e.line == 0 && e.field == nil && e.message == "no such file"
                ? .noSuchFile(path: e.file) : .data(DataDefect(file: e.file, line: e.line, field: e.field, message: e.message))
        case let e as FetchError: self = .data(DataDefect(message: e.description))
        case let e as StoreError: self = .store(e.description)
        case let e as RuntimeError: self = .run(e.message)
        case let e as RunStopped: self = .stopped(e.reason)
        case let e as SearchSpace.Error: self = .invalidPoint(e.description)
        case let e as Constraint.Error: self = .invalidPoint(e.description)
        default: self = .run(String(describing: error))
        }
    }

    /// Runs `body`, whose errors come from several libraries, with typed errors.
    static func typed<T>(_ body: () throws -> T) throws(RunError) -> T {
        do { return try body() } catch { throw RunError(error) }
    }
}

/// Where a data file or CSV text is wrong: file (a path or a CSV's name), line
/// (0: the file as a whole), field, and what was expected.
public struct DataDefect: Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var line: Int
    public var field: String?
    public var message: String

    public init(file: String? = nil, line: Int = 0, field: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    /// As BarCSV words it: `file:line: field `x`: message`.
    public var description: String {
        guard let file else { return message }
        return file + (line > 0 ? ":\(line)" : "") + ": " + (field.map { "field `\($0)`: " } ?? "") + message
    }
}

/// What preparing a run has to say besides its result: the CLI prints
/// `strat: warning: …` and `strat: note: …`, a server logs them.
public enum RunMessage: Sendable {
    case warning(String)
    case note(String)
    /// The compiler's warnings on a strategy that compiled.
    case diagnostics([Diagnostic], SourceFile)
}

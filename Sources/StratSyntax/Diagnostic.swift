/// Diagnostics are data: a stable code, a range, a message, notes and fix-its.
/// The catalogue of codes lives in `DiagnosticCode` and Docs/Diagnostics.md,
/// and is only ever appended to.
public enum Severity: String, Sendable, Codable { case error, warning, note }

public struct FixIt: Hashable, Sendable {
    public var range: SourceRange
    public var replacement: String
    public init(range: SourceRange, replacement: String) {
        self.range = range; self.replacement = replacement
    }
}

public struct Note: Hashable, Sendable {
    public var message: String
    public var range: SourceRange?
    public init(_ message: String, at range: SourceRange? = nil) {
        self.message = message; self.range = range
    }
}

public struct Diagnostic: Hashable, Sendable {
    public var code: DiagnosticCode
    public var severity: Severity
    public var message: String
    public var range: SourceRange
    /// Extra ranges to underline (e.g. both operands of a bad operator).
    public var highlights: [SourceRange]
    public var notes: [Note]
    public var fixIts: [FixIt]

    public init(_ code: DiagnosticCode, _ message: String, at range: SourceRange,
                highlights: [SourceRange] = [], notes: [Note] = [], fixIts: [FixIt] = []) {
        self.code = code
        self.severity = code.isWarning ? .warning : .error
        self.message = message
        self.range = range
        self.highlights = highlights
        self.notes = notes
        self.fixIts = fixIts
    }
}

/// Collects the diagnostics of one file. It keeps at most one syntax error per line
/// (the first is the real one; the rest are usually echoes), drops exact duplicates
/// and stops collecting after `limit` errors.
public struct DiagnosticBag: Sendable {
    public private(set) var items: [Diagnostic] = []
    public var limit = 50
    private var syntaxErrorLines: Set<Int> = []
    private var seen: Set<String> = []
    public let file: SourceFile
    /// Kept as items are added: counting them on every add made a file with
    /// thousands of warnings quadratic.
    public private(set) var errorCount = 0

    public init(file: SourceFile) { self.file = file }

    public var hasErrors: Bool { errorCount > 0 }
    /// False once `limit` errors are kept: a caller may skip the work of wording one.
    public var acceptsErrors: Bool { errorCount < limit }

    public mutating func add(_ d: Diagnostic) {
        if d.severity == .error, errorCount >= limit { return }
        if d.code.isSyntax {
            // Checked first and by line only: a run of bad characters on one long
            // line reports once, in time linear in the line.
            guard !syntaxErrorLines.contains(file.line(of: d.range.start)) else { return }
        }
        let key = "\(d.code.rawValue)@\(d.range.start)-\(d.range.end)"
        guard seen.insert(key).inserted else { return }
        if d.code.isSyntax { syntaxErrorLines.insert(file.line(of: d.range.start)) }
        if d.severity == .error { errorCount += 1 }
        items.append(d)
    }

    public mutating func error(_ code: DiagnosticCode, _ message: String, at range: SourceRange,
                               highlights: [SourceRange] = [], notes: [Note] = [], fixIts: [FixIt] = []) {
        add(Diagnostic(code, message, at: range, highlights: highlights, notes: notes, fixIts: fixIts))
    }

    /// Diagnostics in source order (stable for equal positions).
    public var sorted: [Diagnostic] {
        items.enumerated().sorted { a, b in
            (a.element.range.start, a.offset) < (b.element.range.start, b.offset)
        }.map(\.element)
    }
}

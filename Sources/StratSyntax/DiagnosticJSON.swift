/// The JSON form of a diagnostic: `strat check --format json` and the server's `/v1/check`.
public struct DiagnosticJSON: Encodable, Sendable {
    public struct Position: Encodable, Sendable {
        var message: String?
        var line: Int?
        var column: Int?
    }
    public struct Fix: Encodable, Sendable {
        var line: Int
        var column: Int
        var endLine: Int
        var endColumn: Int
        var replacement: String
    }
    var file: String
    var line: Int
    var column: Int
    var endLine: Int
    var endColumn: Int
    var severity: String
    var code: String
    var message: String
    var notes: [Position]
    var fixIts: [Fix]

    public init(_ d: Diagnostic, _ f: SourceFile) {
        let (l, c) = f.lineColumn(of: d.range.start), (el, ec) = f.lineColumn(of: d.range.end)
        file = f.name; line = l; column = c; endLine = el; endColumn = ec
        severity = d.severity.rawValue; code = d.code.rawValue; message = d.message
        notes = d.notes.map { n in
            let pos = n.range.map { f.lineColumn(of: $0.start) }
            return Position(message: n.message, line: pos?.line, column: pos?.column)
        }
        fixIts = d.fixIts.map { x in
            let (a, b) = f.lineColumn(of: x.range.start), (c, e) = f.lineColumn(of: x.range.end)
            return Fix(line: a, column: b, endLine: c, endColumn: e, replacement: x.replacement)
        }
    }
}

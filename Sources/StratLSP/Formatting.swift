import StratSyntax

/// `textDocument/formatting`: the file in `strat fmt`'s layout, as one edit
/// replacing the whole text (none when it is already formatted). A file that
/// does not parse is left alone, as `strat fmt` leaves it.
enum Formatting {
    struct Refusal: Error { var message: String }

    static func edits(_ a: Analysis) -> Result<[JSONObject], Refusal> {
        let (program, diags) = Parser.parse(a.file)
        if let first = diags.sorted.first(where: { $0.severity == .error }) {
            let p = a.document.position(of: first.range.start)
            return .failure(Refusal(message: "cannot format: line \(p.line + 1): \(first.message)"))
        }
        let formatted = Formatter.format(program)
        if formatted == a.document.text { return .success([]) }
        let whole = LSPRange(Position(line: 0, character: 0), a.document.position(of: a.file.bytes.count))
        return .success([["range": whole.json, "newText": formatted]])
    }
}

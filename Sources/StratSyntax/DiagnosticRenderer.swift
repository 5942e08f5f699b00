/// Renders diagnostics as a compiler does:
///
///     Strategies/x.strat:12:18: error[E0301]: cannot add Price and Volume
///        12 |   let bad = close + volume
///           |             ~~~~~ ^ ~~~~~~
///        note: did you mean `close * volume` (Money)?
public struct DiagnosticRenderer {
    public var useColor: Bool
    public init(useColor: Bool = false) { self.useColor = useColor }

    private func paint(_ s: String, _ code: String) -> String { useColor ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    public func render(_ d: Diagnostic, in file: SourceFile) -> String {
        let (line, col) = file.lineColumn(of: d.range.start)
        let sev = d.severity == .error ? paint("error", "1;31") : paint("warning", "1;35")
        var out = "\(file.name):\(line):\(col): \(sev)[\(d.code.rawValue)]: \(paint(d.message, "1"))\n"
        out += snippet(primary: d.range, highlights: d.highlights, in: file)
        for note in d.notes {
            if let r = note.range, r != d.range {
                let (nl, nc) = file.lineColumn(of: r.start)
                out += "   \(paint("note", "1;36")): \(note.message) (\(file.name):\(nl):\(nc))\n"
                if nl != line { out += snippet(primary: r, highlights: [], in: file, marker: "-") }
            } else {
                out += "   \(paint("note", "1;36")): \(note.message)\n"
            }
        }
        for fix in d.fixIts {
            let (fl, fc) = file.lineColumn(of: fix.range.start)
            let what = fix.range.isEmpty ? "insert `\(fix.replacement)`"
                : fix.replacement.isEmpty ? "remove `\(file.text(of: fix.range))`"
                : "replace `\(file.text(of: fix.range))` with `\(fix.replacement)`"
            out += "   \(paint("fix-it", "1;32")): \(what) at \(fl):\(fc)\n"
        }
        return out
    }

    /// The source line with `^~~~` under the primary range and `~` under highlights
    /// on the same line.
    func snippet(primary: SourceRange, highlights: [SourceRange], in file: SourceFile, marker: Character = "^") -> String {
        let (line, col) = file.lineColumn(of: primary.start)
        let text = file.line(line)
        let gutter = String(line)
        let pad = String(repeating: " ", count: gutter.count)
        let width = max(text.unicodeScalars.count + 1, col)
        var marks = [Character](repeating: " ", count: width)
        func mark(_ r: SourceRange, _ ch: Character, first: Character) {
            let (l1, c1) = file.lineColumn(of: r.start)
            guard l1 == line else { return }
            let (l2, c2raw) = file.lineColumn(of: r.end)
            let c2 = l2 == line ? max(c2raw, c1 + 1) : text.unicodeScalars.count + 1
            for c in c1..<c2 where c - 1 < marks.count { marks[c - 1] = c == c1 ? first : ch }
        }
        for h in highlights { mark(h, "~", first: "~") }
        mark(primary, "~", first: marker)
        // Under a tab, keep the tab so the caret lines up; drop trailing blanks.
        let scalars = Array(text.unicodeScalars)
        for i in marks.indices where marks[i] == " " && i < scalars.count && scalars[i] == "\t" { marks[i] = "\t" }
        while let last = marks.last, last == " " || last == "\t" { marks.removeLast() }
        let aligned = String(marks)
        return " \(pad) |\n \(gutter) | \(text)\n \(pad) | \(paint(aligned, "1;32"))\n"
    }
}

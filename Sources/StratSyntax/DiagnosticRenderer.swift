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
    /// on the same line. A long line (generated code, a minified file) shows a
    /// window around the caret, so one diagnostic never prints megabytes and the
    /// work is independent of the line's length.
    func snippet(primary: SourceRange, highlights: [SourceRange], in file: SourceFile, marker: Character = "^") -> String {
        let (line, _) = file.lineColumn(of: primary.start)
        let gutter = String(line)
        let pad = String(repeating: " ", count: gutter.count)
        // The stretch of the line to show, in bytes, cut at character boundaries.
        let bytes = file.bytes
        let lineStart = file.lineStarts[line - 1]
        var lineEnd = line < file.lineStarts.count ? file.lineStarts[line] - 1 : bytes.count
        if lineEnd > lineStart, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
        var lo = lineStart, hi = lineEnd
        if hi - lo > Self.maxShown {
            let caret = max(lineStart, min(primary.start, lineEnd))
            lo = max(lineStart, min(caret - Self.maxShown / 2, lineEnd - Self.maxShown))
            hi = min(lineEnd, lo + Self.maxShown)
            while lo > lineStart, bytes[lo] & 0xC0 == 0x80 { lo -= 1 }
            while hi < lineEnd, bytes[hi] & 0xC0 == 0x80 { hi += 1 }
        }
        let scalars = Array(String(decoding: bytes[lo..<hi], as: UTF8.self).unicodeScalars)
        let before = lo > lineStart ? 1 : 0    // room for the leading `…`
        /// 0-based position in `marks` of a byte offset on this line, clamped to the window.
        func position(_ offset: Int) -> Int {
            let o = max(lo, min(offset, hi))
            return file.lineColumn(of: o).column - file.lineColumn(of: lo).column + before
        }
        var marks = [Character](repeating: " ", count: scalars.count + before + 1)
        func mark(_ r: SourceRange, _ ch: Character, first: Character) {
            guard file.line(of: r.start) == line, r.start <= hi else { return }
            let c1 = position(r.start)
            let c2 = file.line(of: r.end) == line ? max(position(r.end), c1 + 1) : scalars.count + before + 1
            for c in c1..<min(c2, marks.count) { marks[c] = c == c1 ? first : ch }
        }
        for h in highlights { mark(h, "~", first: "~") }
        mark(primary, "~", first: marker)
        // Under a tab, keep the tab so the caret lines up; drop trailing blanks.
        for (i, ch) in scalars.enumerated() where ch == "\t" && marks[i + before] == " " { marks[i + before] = "\t" }
        while let last = marks.last, last == " " || last == "\t" { marks.removeLast() }
        let text = (before > 0 ? "…" : "") + String(String.UnicodeScalarView(scalars)) + (hi < lineEnd ? "…" : "")
        return " \(pad) |\n \(gutter) | \(text)\n \(pad) | \(paint(String(marks), "1;32"))\n"
    }

    /// Longest stretch of a source line shown under a diagnostic, in bytes.
    static let maxShown = 240
}

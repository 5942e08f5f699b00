import StratSyntax

/// The checker's diagnostics as LSP `Diagnostic`s: the same code, severity,
/// message, notes and fix-its `strat check --format json` prints, with ranges
/// in LSP positions. A note with a range becomes related information (a link
/// to that place); a note without one is appended to the message, as the
/// terminal renderer prints it under the error.
enum Diagnostics {
    static func publish(_ a: Analysis) -> JSONObject {
        [
            "jsonrpc": "2.0",
            "method": "textDocument/publishDiagnostics",
            "params": [
                "uri": a.document.uri,
                "version": a.document.version,
                "diagnostics": a.result.diagnostics.map { lsp($0, a.document) },
            ] as JSONObject,
        ]
    }

    static func lsp(_ d: Diagnostic, _ doc: Document) -> JSONObject {
        var message = d.message
        var related: [JSONObject] = []
        for n in d.notes {
            if let r = n.range {
                related.append(["location": ["uri": doc.uri, "range": doc.range(of: r).json] as JSONObject, "message": n.message])
            } else {
                message += "\nnote: " + n.message
            }
        }
        var o: JSONObject = [
            "range": doc.range(of: d.range).json,
            "severity": severity(d.severity),
            "code": d.code.rawValue,
            "source": "strat",
            "message": message,
        ]
        if !related.isEmpty { o["relatedInformation"] = related }
        return o
    }

    static func severity(_ s: Severity) -> Int {
        switch s {
        case .error: 1
        case .warning: 2
        case .note: 3
        }
    }
}

/// `textDocument/codeAction`: each fix-it of a diagnostic touching the
/// requested range, as a quick fix that applies its edit.
enum CodeActions {
    static func actions(_ a: Analysis, range: LSPRange) -> [JSONObject] {
        let wanted = a.document.sourceRange(of: range)
        var out: [JSONObject] = []
        for d in a.result.diagnostics where !d.fixIts.isEmpty {
            guard d.range.start <= wanted.end, wanted.start <= d.range.end else { continue }
            for fix in d.fixIts {
                let edit: JSONObject = ["range": a.document.range(of: fix.range).json, "newText": fix.replacement]
                out.append([
                    "title": title(fix, a),
                    "kind": "quickfix",
                    "diagnostics": [Diagnostics.lsp(d, a.document)],
                    "isPreferred": d.fixIts.count == 1,
                    "edit": ["changes": [a.document.uri: [edit]]] as JSONObject,
                ])
            }
        }
        return out
    }

    /// Worded as the terminal renderer words a fix-it.
    static func title(_ fix: FixIt, _ a: Analysis) -> String {
        if fix.range.isEmpty { return "Insert `\(fix.replacement)`" }
        if fix.replacement.isEmpty { return "Remove `\(a.text(fix.range))`" }
        return "Replace `\(a.text(fix.range))` with `\(fix.replacement)`"
    }
}

import StratSema
import StratSyntax

/// `textDocument/completion`: after `name.`, the outputs of a destructurable
/// value (`m.signal` for `let m = macd(…)`); elsewhere built-ins with their
/// parameters, bar fields, keywords, type names, the strategy's own inputs,
/// lets and fns, and the symbols of the store when the server was given one.
/// Items are plain text (no snippets); the client filters by what is typed.
enum Completion {
    // LSP CompletionItemKind values.
    static let functionKind = 3, fieldKind = 5, variableKind = 6, classKind = 7, propertyKind = 10, constantKind = 21, keywordKind = 14

    static func items(_ a: Analysis, at p: Position, symbols: [String]) -> [JSONObject] {
        let offset = a.document.offset(of: p)
        let place = a.strategy(at: offset)
        if let members = members(a, at: offset, place) { return members }

        var out: [JSONObject] = []
        if let place {
            let checked = a.checked(place.index)
            for m in place.decl.members where m.range.start < offset {
                switch m {
                case .input(let d):
                    let dim = checked?.inputs.first { $0.name == d.name.name }?.dim.name
                    out.append(item(d.name.name, variableKind, "input" + (dim.map { " \($0)" } ?? ""), sort: "0"))
                case .binding(let d):
                    for n in d.names {
                        let type = checked?.lets.first { $0.name == n.name && !$0.value.type.isError }.map { "\($0.value.type)" }
                        out.append(item(n.name, variableKind, type.map { "let: \($0)" } ?? "let", sort: "0"))
                    }
                case .function(let d):
                    out.append(item(d.name.name, functionKind, "fn \(d.name.name)(\(d.parameters.map(\.name).joined(separator: ", ")))", sort: "0"))
                    // Inside the function, its parameters.
                    if d.range.start <= offset, offset <= d.range.end {
                        for param in d.parameters { out.append(item(param.name, variableKind, "parameter of \(d.name.name)", sort: "0")) }
                    }
                default: break
                }
            }
        }
        for f in BarField.allCases { out.append(item(f.rawValue, fieldKind, "series \(f.dimension.name)", sort: "1")) }
        for b in Builtin.all.values.sorted(by: { $0.name < $1.name }) {
            var i = item(b.name, functionKind, BuiltinDocs.signature(b), sort: "2")
            i["documentation"] = ["kind": "markdown", "value": b.summary] as JSONObject
            out.append(i)
        }
        for k in Keyword.allCases { out.append(item(k.rawValue, keywordKind, "keyword", sort: "3")) }
        // Words that mean something in one place only (Docs/Language.md): still names elsewhere.
        for (word, detail) in contextualWords { out.append(item(word, keywordKind, detail, sort: "3")) }
        for f in SizingForm.allCases { out.append(item(f.rawValue, functionKind, "after `size`: \(f.rawValue)(…)", sort: "3")) }
        for t in ["Price", "Qty", "Money", "Volume", "Ratio", "Int", "Float", "Bool", "Duration", "Timeframe"] {
            out.append(item(t, classKind, "type", sort: "4"))
        }
        for s in symbols { out.append(item("$" + s, constantKind, "symbol in the store", sort: "5")) }
        return out
    }

    static let contextualWords: [(String, String)] =
        [("spot", "market kind"), ("perp", "market kind"), ("risk", "the risk block")]
        + TimeInForce.allCases.map { ($0.rawValue, "time in force, after `tif`") }
        + [("reduce", "order clause: `reduce only`"), ("post", "order clause: `post only`"), ("display", "order clause: an iceberg's visible quantity"),
           ("trigger", "order clause: `trigger mark` or `trigger last`")]

    /// After `name.`: the outputs of the let `name`, when it has several.
    static func members(_ a: Analysis, at offset: Int, _ place: (index: Int, decl: StrategyDecl)?) -> [JSONObject]? {
        // The token just before the cursor (or the one being typed after the dot).
        var i = a.tokens.lastIndex { $0.range.end <= offset && $0.kind != .eof } ?? -1
        if i >= 0, a.tokens[i].kind == .identifier, i > 0, a.tokens[i - 1].kind == .dot, a.tokens[i].range.end == offset { i -= 1 }
        guard i >= 1, a.tokens[i].kind == .dot, a.tokens[i - 1].kind == .identifier else { return nil }
        let name = a.text(a.tokens[i - 1].range)
        guard let place, let s = a.checked(place.index), let l = s.lets.first(where: { $0.name == name }) else { return [] }
        guard case .tuple(let names, let dims) = l.value.type.dim else { return [] }
        return zip(names, dims).map { item($0, propertyKind, $1.name, sort: "0") }
    }

    static func item(_ label: String, _ kind: Int, _ detail: String, sort: String) -> JSONObject {
        ["label": label, "kind": kind, "detail": detail, "sortText": sort + label]
    }
}

import StratSema
import StratSyntax

/// Go to definition, find references and rename for the names a strategy
/// declares (inputs, lets, fns) and a function's parameters.
///
/// Scoping is the checker's: names belong to their strategy, a function's
/// parameters shadow them inside its declaration. A use is an identifier token
/// with the name that is neither a member (`m.signal`) nor an argument label
/// (`risk(1%, stop: …)`), so the scan reads tokens, not the typed tree (which
/// inlines functions and copies constant lets).
enum Navigation {
    /// A declared name and where it may be used.
    struct Symbol {
        var name: String
        var declaration: SourceRange
        /// Where uses are looked for: the strategy, or the function for a parameter.
        var scope: SourceRange
        /// Function declarations inside `scope` whose parameter of this name shadows it.
        var shadowed: [SourceRange]
    }

    /// The symbol named at an offset (at its declaration or at a use).
    static func symbol(_ a: Analysis, at offset: Int) -> Symbol? {
        guard let ti = a.tokenIndex(at: offset), a.tokens[ti].kind == .identifier, isUse(a, ti),
              let (_, s) = a.strategy(at: offset) else { return nil }
        let token = a.tokens[ti]
        let name = a.text(token.range)
        // A parameter, when the token is inside a function that declares one of this name.
        for case .function(let f) in s.members where f.range.start <= token.range.start && token.range.end <= f.range.end {
            if let p = f.parameters.first(where: { $0.name == name }) {
                return Symbol(name: name, declaration: p.range, scope: f.range, shadowed: [])
            }
        }
        guard let declared = declarations(s)[name] else { return nil }
        var shadowed: [SourceRange] = []
        for case .function(let f) in s.members where f.parameters.contains(where: { $0.name == name }) { shadowed.append(f.range) }
        return Symbol(name: name, declaration: declared, scope: s.range, shadowed: shadowed)
    }

    /// The first declaration of each name in a strategy (the checker reports a second).
    static func declarations(_ s: StrategyDecl) -> [String: SourceRange] {
        var out: [String: SourceRange] = [:]
        for m in s.members {
            switch m {
            case .input(let d): out[d.name.name] = out[d.name.name] ?? d.name.range
            case .binding(let d): for n in d.names { out[n.name] = out[n.name] ?? n.range }
            case .function(let d): out[d.name.name] = out[d.name.name] ?? d.name.range
            default: break
            }
        }
        return out
    }

    /// False for a member name after `.` and for an argument label before `:`.
    static func isUse(_ a: Analysis, _ i: Int) -> Bool {
        let t = a.tokens
        if i > 0, t[i - 1].kind == .dot { return false }
        if i > 0, i + 1 < t.count, t[i + 1].kind == .colon, t[i - 1].kind == .lParen || t[i - 1].kind == .comma { return false }
        return true
    }

    /// The declaration and every use, in source order.
    static func occurrences(_ a: Analysis, _ sym: Symbol) -> [SourceRange] {
        var out: [SourceRange] = []
        for (i, t) in a.tokens.enumerated() where t.kind == .identifier
            && sym.scope.start <= t.range.start && t.range.end <= sym.scope.end {
            guard a.text(t.range) == sym.name, isUse(a, i) || t.range == sym.declaration else { continue }
            if t.range != sym.declaration, sym.shadowed.contains(where: { $0.start <= t.range.start && t.range.end <= $0.end }) { continue }
            out.append(t.range)
        }
        return out
    }

    static func location(_ a: Analysis, _ r: SourceRange) -> JSONObject {
        ["uri": a.document.uri, "range": a.document.range(of: r).json]
    }

    static func definition(_ a: Analysis, at p: Position) -> JSONObject? {
        symbol(a, at: a.document.offset(of: p)).map { location(a, $0.declaration) }
    }

    static func references(_ a: Analysis, at p: Position, includeDeclaration: Bool) -> [JSONObject] {
        guard let sym = symbol(a, at: a.document.offset(of: p)) else { return [] }
        return occurrences(a, sym).filter { includeDeclaration || $0 != sym.declaration }.map { location(a, $0) }
    }

    static func prepareRename(_ a: Analysis, at p: Position) -> JSONObject? {
        let offset = a.document.offset(of: p)
        guard symbol(a, at: offset) != nil, let ti = a.tokenIndex(at: offset) else { return nil }
        return ["range": a.document.range(of: a.tokens[ti].range).json, "placeholder": a.text(a.tokens[ti].range)]
    }

    enum RenameError: Error { case refused(String) }

    /// A WorkspaceEdit renaming the symbol at `p`, or why it cannot be renamed.
    static func rename(_ a: Analysis, at p: Position, to newName: String) throws -> JSONObject {
        let offset = a.document.offset(of: p)
        guard let sym = symbol(a, at: offset), let (_, s) = a.strategy(at: offset) else {
            throw RenameError.refused("only the strategy's own inputs, lets, functions and parameters can be renamed")
        }
        guard isIdentifier(newName) else { throw RenameError.refused("`\(newName)` is not a name: use letters, digits and `_`, not starting with a digit") }
        if Keyword(rawValue: newName) != nil { throw RenameError.refused("`\(newName)` is a keyword") }
        if BarField(rawValue: newName) != nil || Builtin.all[newName] != nil {
            throw RenameError.refused("`\(newName)` is a built-in \(BarField(rawValue: newName) != nil ? "bar field" : "function")")
        }
        if newName != sym.name, declarations(s)[newName] != nil {
            throw RenameError.refused("`\(newName)` is already defined in strategy `\(s.name.name)`")
        }
        let edits: [JSONObject] = occurrences(a, sym).map { ["range": a.document.range(of: $0).json, "newText": newName] }
        return ["changes": [a.document.uri: edits]]
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}

/// `textDocument/documentSymbol`: each strategy with its inputs, lets,
/// functions and rules, as a tree.
enum DocumentSymbols {
    // LSP SymbolKind values.
    static let strategyKind = 5, inputKind = 7, letKind = 13, functionKind = 12, ruleKind = 24

    static func symbols(_ a: Analysis) -> [JSONObject] {
        a.program.strategies.enumerated().map { index, s in
            let checked = a.checked(index)
            var children: [JSONObject] = []
            for m in s.members {
                switch m {
                case .input(let d):
                    let dim = checked?.inputs.first { $0.name == d.name.name }?.dim.name
                    children.append(item(d.name.name, inputKind, d.range, d.name.range, dim.map { "input \($0)" } ?? "input", a))
                case .binding(let d):
                    for n in d.names {
                        let type = checked?.lets.first { $0.name == n.name && !$0.value.type.isError }.map { "\($0.value.type)" }
                        children.append(item(n.name, letKind, d.range, n.range, type ?? "let", a))
                    }
                case .function(let d):
                    children.append(item(d.name.name, functionKind, d.range, d.name.range,
                                         "fn(\(d.parameters.map(\.name).joined(separator: ", ")))", a))
                case .rule(let r):
                    var condition = a.text(r.condition.range).split(whereSeparator: \.isNewline).joined(separator: " ")
                    if condition.count > 60 { condition = String(condition.prefix(59)) + "…" }
                    children.append(item("when \(condition)", ruleKind, r.range, r.condition.range, "rule", a))
                default: break
                }
            }
            var o = item(s.name.name, strategyKind, s.range, s.name.range, "strategy", a)
            o["children"] = children
            return o
        }
    }

    static func item(_ name: String, _ kind: Int, _ range: SourceRange, _ selection: SourceRange, _ detail: String, _ a: Analysis) -> JSONObject {
        ["name": name, "kind": kind, "detail": detail,
         "range": a.document.range(of: range).json, "selectionRange": a.document.range(of: selection).json]
    }
}

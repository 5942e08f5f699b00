import StratSyntax
import Testing

func dumpExpr(_ text: String) -> String {
    let (e, diags) = Parser.parseExpression(SourceFile(name: "t", text: text))
    #expect(!diags.hasErrors, "\(text): \(diags.items.map(\.message))")
    return show(e)
}

/// Fully parenthesised form, to check precedence and associativity.
func show(_ e: Expr) -> String {
    switch e.kind {
    case .literal(_, let t): t
    case .name(let n): n
    case .unary(let op, let x): "(\(op == .negate ? "-" : "not ")\(show(x)))"
    case .binary(let first, let rest): rest.reduce(show(first)) { "(\($0) \($1.op.rawValue) \(show($1.rhs)))" }
    case .call(let f, let args): "\(f.name)(\(args.map { ($0.label.map { $0.name + ": " } ?? "") + show($0.value) }.joined(separator: ", ")))"
    case .history(let x, let n): "\(show(x))[\(show(n))]"
    case .member(let x, let m): "\(show(x)).\(m.name)"
    case .context(let x, let c): "\(show(x))@\(show(c))"
    case .conditional(let c, let a, let b): "(if \(show(c)) then \(show(a)) else \(show(b)))"
    case .paren(let x): show(x)
    case .error: "<error>"
    }
}

@Suite struct ParserTests {
    @Test func precedence() {
        #expect(dumpExpr("a + b * c - d") == "((a + (b * c)) - d)")
        #expect(dumpExpr("a or b and c") == "(a or (b and c))")
        #expect(dumpExpr("not a > b and c") == "((not (a > b)) and c)")
        #expect(dumpExpr("-a * b") == "((-a) * b)")
        #expect(dumpExpr("a - b - c") == "((a - b) - c)")
        #expect(dumpExpr("a / b / c") == "((a / b) / c)")
        #expect(dumpExpr("if a then b else c + 1") == "(if a then b else (c + 1))")
    }

    @Test func postfixBindsTightest() {
        #expect(dumpExpr("close@4h[1] * 2") == "((close@4h[1]) * 2)".replacingOccurrences(of: "(close@4h[1])", with: "close@4h[1]"))
        #expect(dumpExpr("macd(close, 12, 26, 9).signal > 0") == "(macd(close, 12, 26, 9).signal > 0)")
        #expect(dumpExpr("ema(close, 50)@$ETHUSDT") == "ema(close, 50)@$ETHUSDT")
        #expect(dumpExpr("risk(1%, stop: close - 2)") == "risk(1%, stop: (close - 2))")
    }

    @Test func bracketOnANewLineDoesNotContinue() {
        let src = "strategy T {\n  let a = close\n  let b = a\n}"
        let (p, d) = Parser.parse(SourceFile(name: "t", text: src))
        #expect(!d.hasErrors)
        #expect(p.strategies[0].members.count == 2)
    }

    @Test func parsesEveryOrderForm() throws {
        let src = """
        strategy T {
          market perp(leverage: 3x, margin: cross)
          when close > open {
            enter long at stop high + 1 limit high + 2 size risk(1%, stop: low)
              stop low
              take high + 10
              trail 2%
              tif gtd
              expire after 3 bars
              post only
            exit short at limit 100 size 50%
              reduce only
            cancel all
            flatten
          }
          risk {
            max drawdown 20% then scale 50%
            max daily loss 2%
            max exposure 150% of equity
          }
        }
        """
        let (p, d) = Parser.parse(SourceFile(name: "t", text: src))
        #expect(!d.hasErrors, "\(d.items.map(\.message))")
        guard case .rule(let r) = p.strategies[0].members[1] else { Issue.record("no rule"); return }
        #expect(r.actions.count == 4)
        guard case .enter(let o) = r.actions[0] else { Issue.record("no enter"); return }
        #expect(o.clauses.count == 6)
        guard case .stopLimit = o.orderType else { Issue.record("not a stop-limit"); return }
        guard case .risk(let b) = p.strategies[0].members[2] else { Issue.record("no risk"); return }
        #expect(b.limits.map(\.name) == ["drawdown", "daily loss", "exposure"])
    }

    @Test func recoversAndReportsOncePerLine() {
        let src = "strategy T {\n  let a = + + +\n  let b = close\n  let c = ) )\n  when b > 0 { enter long }\n}"
        let (p, d) = Parser.parse(SourceFile(name: "t", text: src))
        let lines = d.items.map { d.file.lineColumn(of: $0.range.start).line }
        #expect(lines == [2, 4])
        // a, b, c, the skipped `)` on line 4, and the rule: the rule after the mistakes survives.
        #expect(p.strategies[0].members.count == 5)
        if case .rule = p.strategies[0].members[4] {} else { Issue.record("lost the rule") }
    }

    @Test func renderedDiagnosticHasCaretAndFixIt() {
        let file = SourceFile(name: "x.strat", text: "strategy T {\n  when a && b { enter long }\n}")
        let (_, d) = Parser.parse(file)
        let text = DiagnosticRenderer().render(d.sorted[0], in: file)
        #expect(text == """
        x.strat:2:10: error[E0005]: Strat writes this operator as `and`
           |
         2 |   when a && b { enter long }
           |          ^~
           fix-it: replace `&&` with `and` at 2:10

        """)
    }
}

import Foundation
import StratIR
import StratSema
import StratSyntax
import Testing

func compile(_ text: String, name: String = "t.strat") -> IRStrategy? {
    let r = Compiler.compile(SourceFile(name: name, text: text))
    #expect(!r.hasErrors, "\(r.diagnostics.map(\.message))")
    return r.ir?.strategies.first
}

func wrap(_ body: String) -> String {
    "strategy T {\n  market spot\n  timeframe 1h\n\(body)\n}\n"
}

@Suite struct IRTests {
    @Test func commonSubexpressionsAreComputedOnce() throws {
        let s = try #require(compile(wrap("""
          let a = ema(close, 20)
          let b = ema(close, 20)
          fn mid(x, y) = (x + y) / 2
          when mid(a, b) > ema(close, 20) and mid(a, b) > 0 { enter long }
        """)))
        #expect(s.nodes.filter { $0.op == .call && $0.name == "ema" }.count == 1)
        #expect(s.nodes.filter { $0.op == .add }.count == 1)
        #expect(s.lets.map(\.node) == [s.lets[0].node, s.lets[0].node])
    }

    @Test func constantsAreFolded() throws {
        let s = try #require(compile(wrap("""
          let k = (2 + 3) * 4 - max(1, 2)
          when close > open * (1 + 2%) and close > k { enter long }
        """)))
        #expect(s.nodes.contains { $0.op == .const && $0.value == 18 })
        #expect(s.nodes.contains { $0.op == .const && $0.value == 1.02 })
        #expect(!s.nodes.contains { $0.op == .const && $0.value == 5 })
    }

    @Test func warmupFollowsTALibLookbacks() throws {
        func warm(_ cond: String) throws -> Int {
            try #require(compile(wrap("  input n = 10 in 5...50\n  when \(cond) { enter long }"))).warmup.atDefaults
        }
        #expect(try warm("crossover(sma(close, n), sma(close, 30)) or n > 0") == 30)
        #expect(try warm("rsi(close, 14) > 50") == 14)
        #expect(try warm("macd(close, 12, 26, 9).hist > 0") == 33)
        #expect(try warm("close[5] > ema(close, 20)") == 19)
        #expect(try warm("close > ema(close, 20)[5]") == 24)
        #expect(try warm("adx(14) > 25") == 27)
        #expect(try warm("close > ema(close@4h, 50)") == 199)
        let s = try #require(compile(wrap("  input n = 10 in 5...50\n  when close > sma(close, n) { enter long }")))
        #expect(s.warmup == IRWarmup(atDefaults: 9, atMaximum: 49))
    }

    @Test func hashIgnoresLayoutButNotMeaning() throws {
        let a = try #require(compile(wrap("  when close > sma(close, 10) { enter long }")))
        let b = try #require(compile("// a comment\n\n" + wrap("  when close > sma(close, 10) {\n    enter long\n  }")))
        let c = try #require(compile(wrap("  when close > sma(close, 11) { enter long }")))
        #expect(a.hash == b.hash)
        #expect(a.hash != c.hash)
        #expect(a.hash.count == 64)
    }

    @Test func jsonRoundTripsAndVerifies() throws {
        for url in try strategyFiles() {
            let r = Compiler.compile(SourceFile(name: url.lastPathComponent, text: try String(contentsOf: url, encoding: .utf8)))
            let ir = try #require(r.ir)
            #expect(Verifier.verify(ir).isEmpty)
            let data = try IRJSON.encode(ir)
            let back = try IRJSON.decode(data)
            #expect(back == ir)
            #expect(try IRJSON.encode(back) == data)
        }
    }

    @Test func verifierCatchesBrokenIR() throws {
        var s = try #require(compile(wrap("  when close > sma(close, 10) { enter long }")))
        s.nodes[1].args = [5]
        s.rules[0].condition = 99
        let errors = Verifier.verify(s)
        #expect(errors.contains { $0.contains("not computed before it") })
        #expect(errors.contains { $0.contains("rule 0 condition refers to missing node %99") })
        #expect(errors.contains { $0.contains("content hash") })
    }

    @Test func rulesCarryTheirSourceLines() throws {
        let s = try #require(compile(wrap("  when close > open {\n    enter long\n  }\n  when close < open {\n    exit long\n  }")))
        #expect(s.rules.map { $0.source?.line } == [4, 7])
        #expect(s.rules.map { $0.actions[0].source?.line } == [5, 8])
    }

    @Test func higherTimeframeAndSymbolContexts() throws {
        let s = try #require(compile(wrap("  when close > sma(close, 5)@4h and close@$ETHUSDT > 0 { enter long }")))
        #expect(s.timeframes == [3600, 14_400])
        #expect(s.referencedSymbols == ["ETHUSDT"])
        let htf = try #require(s.nodes.first { $0.name == "sma" })
        #expect(htf.type.clock == 14_400)
    }

    /// The IR of every example strategy, as text, against a golden file.
    /// Refresh with STRAT_UPDATE_GOLDEN=1 swift test.
    @Test(arguments: try strategyFiles())
    func golden(_ url: URL) throws {
        let r = Compiler.compile(SourceFile(name: "Strategies/" + url.lastPathComponent, text: try String(contentsOf: url, encoding: .utf8)))
        let text = IRPrinter.print(try #require(r.ir))
        let golden = repoRoot.appendingPathComponent("Tests/StratIRTests/Golden/\(url.deletingPathExtension().lastPathComponent).ir")
        if ProcessInfo.processInfo.environment["STRAT_UPDATE_GOLDEN"] != nil {
            try FileManager.default.createDirectory(at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: golden, atomically: true, encoding: .utf8)
        }
        #expect(text == (try String(contentsOf: golden, encoding: .utf8)))
    }
}

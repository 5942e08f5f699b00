import Foundation
import StratIR
import StratSema
import StratSyntax
import Testing

/// `market perp(…, mode: hedge)` and the order clause `trigger mark|last`,
/// through every phase: parse, format, AST dump, check, lower, print.
@Suite struct PerpLanguageTests {
    static func perp(_ market: String, _ order: String) -> String {
        """
        strategy P {
          market \(market)
          timeframe 1h
          when close > open {
            \(order)
          }
        }

        """
    }

    @Test func hedgeModeAndMarkTriggerReachTheIR() throws {
        let s = try #require(compile(Self.perp("perp(leverage: 3x, margin: cross, mode: hedge)",
                                               "enter long at stop high + 1 trigger mark\n    enter short stop close + 5 trigger mark")))
        #expect(s.market == IRMarket(kind: .perp, leverage: 3, margin: .cross, mode: .hedge))
        #expect(s.rules[0].actions.map { $0.order?.triggerOnMark } == [true, true])
        let text = IRPrinter.print(s)
        #expect(text.contains("market perp leverage 3x margin cross mode hedge"))
        #expect(text.contains("trigger mark"))
        let json = String(decoding: try IRJSON.encoder.encode(s), as: UTF8.self)
        #expect(json.contains("\"mode\":\"hedge\"") && json.contains("\"triggerOnMark\":true"))
    }

    @Test func theDefaultsWrittenOutKeepTheHash() throws {
        let plain = try #require(compile(Self.perp("perp(leverage: 3x)", "enter long at stop high + 1")))
        let spelled = try #require(compile(Self.perp("perp(leverage: 3x, mode: oneway)", "enter long at stop high + 1 trigger last")))
        let mark = try #require(compile(Self.perp("perp(leverage: 3x)", "enter long at stop high + 1 trigger mark")))
        let hedge = try #require(compile(Self.perp("perp(leverage: 3x, mode: hedge)", "enter long at stop high + 1")))
        #expect(spelled.market.mode == nil && spelled.rules[0].actions[0].order?.triggerOnMark == nil)
        #expect(plain.hash == spelled.hash)
        #expect(Set([plain.hash, mark.hash, hedge.hash]).count == 3)
    }

    @Test func onSpotTheClauseWarnsAndLowersToNothing() throws {
        let r = Compiler.compile(SourceFile(name: "t.strat", text: Self.perp("spot", "enter long stop close - 5 trigger mark")))
        #expect(!r.hasErrors)
        #expect(r.diagnostics.map(\.code) == [.triggerOffPerp])
        #expect(r.ir?.strategies[0].rules[0].actions[0].order?.triggerOnMark == nil)
    }

    @Test func formatterAndDumpKeepTheClauseAndTheMode() throws {
        let messy = "strategy P { market perp( mode:hedge ,leverage:2x ) when close>open { enter long at stop high+1 trigger   mark\nexit short at stop low - 1 trigger last } }"
        let (program, d) = Parser.parse(SourceFile(name: "t", text: messy))
        #expect(!d.hasErrors)
        let out = Formatter.format(program)
        #expect(out == """
            strategy P {
              market perp(mode: hedge, leverage: 2x)
              when close > open {
                enter long at stop high + 1
                  trigger mark
                exit short at stop low - 1
                  trigger last
              }
            }

            """)
        let (again, _) = Parser.parse(SourceFile(name: "t", text: out))
        #expect(Formatter.format(again) == out)
        let dump = ASTDump.dump(program)
        #expect(dump.contains("(trigger mark)") && dump.contains("(trigger last)") && dump.contains("mode:"))
    }

    @Test func aSecondTriggerIsADuplicateClause() {
        let r = Compiler.compile(SourceFile(name: "t.strat", text: Self.perp("perp", "enter long at stop high + 1 trigger mark trigger last")))
        #expect(r.diagnostics.map(\.code) == [.duplicateClause])
    }
}

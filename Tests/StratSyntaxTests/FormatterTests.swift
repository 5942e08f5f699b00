import Foundation
import StratSyntax
import Testing

func format(_ text: String) -> String {
    let (p, d) = Parser.parse(SourceFile(name: "t", text: text))
    #expect(!d.hasErrors, "\(d.items.map(\.message))")
    return Formatter.format(p)
}

@Suite struct FormatterTests {
    @Test func canonicalLayout() {
        let messy = """
        strategy   T{market spot
        // inputs
        input fast=10 in 5 ... 50   // sweepable


        let m=sma( close,fast )*(1+2%)  /* inline */ // trailing
        when crossover(close,m){enter long size 10% stop close-1*atr(14) take close+2}
        }
        """
        let expected = """
        strategy T {
          market spot
          // inputs
          input fast = 10 in 5...50  // sweepable

          let m = sma(close, fast) * (1 + 2%)  /* inline */  // trailing
          when crossover(close, m) {
            enter long size 10%
              stop close - 1 * atr(14)
              take close + 2
          }
        }

        """
        #expect(format(messy) == expected)
        #expect(format(expected) == expected)
    }

    @Test(arguments: try strategyFiles())
    func examplesAreCanonicalAndIdempotent(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let once = format(text)
        #expect(once == text, "\(url.lastPathComponent) is not in canonical layout; run strat fmt --write")
        #expect(format(once) == once)
    }

    /// Test blocks: one item per line (`;` goes), comments kept.
    @Test func testBlocks() {
        let messy = """
        strategy T { market spot
        when close > open { enter long }
        test   "a"{bars "x.csv" from 2005-01-01  to 2006-01-01
        session   "Mon-Fri 14:30-21:00"
        expect trades==3 // three
        expect close between 0 and 100 always;expect no position while close<open
        expect trade(1).entry_time==2005-03-02}
        }
        """
        let expected = """
        strategy T {
          market spot
          when close > open {
            enter long
          }
          test "a" {
            bars "x.csv" from 2005-01-01 to 2006-01-01
            session "Mon-Fri 14:30-21:00"
            expect trades == 3  // three
            expect close between 0 and 100 always
            expect no position while close < open
            expect trade(1).entry_time == 2005-03-02
          }
        }

        """
        #expect(format(messy) == expected)
        #expect(format(expected) == expected)
    }

    @Test func commentsSurvive() {
        let src = "// head\nstrategy T { // after brace\n  when a { // rule\n    enter long // act\n    // before close\n  }\n  // end\n}\n// tail\n"
        let out = format(src)
        for c in ["// head", "// after brace", "// rule", "// act", "// before close", "// end", "// tail"] {
            #expect(out.contains(c), "lost \(c)")
        }
        #expect(format(out) == out)
    }
}

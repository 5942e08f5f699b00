import Foundation
import StratIR
import StratSyntax
import Testing

/// The content hash is SHA-256 of the strategy's JSON as `JSONEncoder` writes
/// it with sorted keys; `CanonicalJSON` writes the same bytes directly.
@Suite struct ContentHashTests {
    static let everything = """
        strategy Every {
          market perp(leverage: 3x, margin: cross, mode: hedge)
          universe BTCUSDT, $ETH-USD, $SOL/USDT
          timeframe 1h
          input fast = 10 in 5...50 step 5
          input stopPct: Ratio = 2%
          input life: Duration = 12h
          input k = 2.5
          let (m, s, h) = macd(close, fast, 26, 9)
          let band = bbands(close, 20, k)
          let big = close * 1e20 + 0.30000000000000004 - 1e-7 + 123456789012345.6
          let tiny = if close@4h > sma(close, fast)@1d then -0.0 else 1e16
          let other = close@$ETH-USD / close@$SOL/USDT
          when crossover(m, s) and big > tiny and other > 0 {
            enter long at stop high + 1 limit high + 2 size risk(1%, stop: low - atr(14))
              take 5%
              trail 3 * atr(14)
              tif gtd
              expire after life
              trigger mark
          }
          when crossunder(m, s) {
            exit long size 50%
            enter short at limit close * (1 + stopPct) size qty(2)
              stop high * 1.1
              expire after fast bars
              post only
          }
          when h < band.lower { flatten }
          when h > band.upper { cancel all }
          risk {
            max drawdown 20% then scale 50%
            max leverage 2x
            max position 50% of equity
            max exposure 150% of equity
            max correlation 0.8 over 60 bars
            max daily loss 5%
          }
        }

        strategy Rotation {
          universe top 3 by sma(close * volume, 30) every month
          when rank(close / close[20]) <= 3 { enter long }
        }

        strategy Monthly {
          market spot(margin: true)
          timeframe 1M
          pyramiding 2
          input dd = 20%
          when close > open {
            enter long at limit close - 1 size qty(10)
              display 2
            cancel entries
          }
          when close < open { cancel all }
          risk {
            max drawdown dd over 30d then halt for 5d
            max trade risk 1%
            max open risk 3%
          }
        }
        """

    @Test func canonicalBytesAreTheEncodersOnEveryExample() throws {
        var sources = [("every.strat", Self.everything)]
        for url in try strategyFiles() { sources.append((url.lastPathComponent, try String(contentsOf: url, encoding: .utf8))) }
        var compared = 0
        for (name, text) in sources {
            let result = Compiler.compile(SourceFile(name: name, text: text))
            let ir = try #require(result.ir, "\(name): \(result.diagnostics.map(\.message))")
            for s in ir.strategies {
                let canonical = try #require(ContentHash.canonicalBytes(s))
                #expect(canonical == ContentHash.encoderBytes(s), "\(name) \(s.name)")
                compared += 1
            }
        }
        #expect(compared == sources.count + 2)   // every.strat holds three strategies
    }

    @Test func hashesOfTheExamplesAreUnchanged() throws {
        // The golden IR files hold the hash each example had when it was written.
        for url in try strategyFiles() {
            let golden = try String(contentsOf: repoRoot.appendingPathComponent("Tests/StratIRTests/Golden")
                .appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".ir"), encoding: .utf8)
            let ir = try #require(Compiler.compile(SourceFile(name: url.path, text: try String(contentsOf: url, encoding: .utf8))).ir)
            for s in ir.strategies { #expect(golden.contains("hash \(s.hash.prefix(16))"), "\(url.lastPathComponent)") }
        }
    }

    /// `test` blocks never reach the IR: with one, with another, or without, the hash is the same.
    @Test func testBlocksLeaveTheHash() throws {
        let body = "strategy T {\n  market spot\n  let m = sma(close, 5)\n  when close > m {\n    enter long\n  }\n"
        let tests = ["", "  test \"a\" {\n    bars \"x.csv\"\n    expect trades == 3\n  }\n",
                     "  test \"b\" {\n    bars \"y.csv\" from 2005-01-01\n    session \"Mon-Fri 14:30-21:00\"\n    expect m > 0 always\n    expect no position while not inSession\n  }\n"]
        let hashes = try tests.map { t in
            let result = Compiler.compile(SourceFile(name: "t.strat", text: body + t + "}\n"))
            return try #require(result.ir?.strategies.first?.hash, "\(result.diagnostics.map(\.message))")
        }
        #expect(Set(hashes).count == 1)
    }

    @Test func anOverflowIsNotFoldedIntoAConstant() throws {
        let text = "strategy S {\n  let big = 1e308 * 10\n  when close > big { enter long }\n}\n"
        let ir = try #require(Compiler.compile(SourceFile(name: "s.strat", text: text)).ir)
        #expect(ir.strategies[0].nodes.allSatisfy { $0.value?.isFinite ?? true })
        #expect(ir.strategies[0].nodes.contains { $0.op == .mul })
        #expect(ContentHash.canonicalBytes(ir.strategies[0]) != nil)
        #expect(try IRJSON.decode(IRJSON.encode(ir)) == ir)
    }
}

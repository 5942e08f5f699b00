import Foundation
import StratMarket
import StratREPL
import Testing

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Nothing typed can crash the REPL: thousands of seeded random inputs (pieces
/// of expressions, declarations and meta-commands with odd arguments) go through
/// one session; each gets a reply and the session still evaluates afterwards.
@Suite struct SessionFuzzTests {
    static let pieces = ["close", "open", "high", "volume", "sma(", "ema(", "macd(", "bbands(", "rsi(", "crossover(", "(", ")", "[",
                         "]", "{", "}", ",", "1", "0", "-1", "20", "2.5", "%", "1h", "@", "@4h", "@$X", "$", "+", "-", "*", "/",
                         "==", ">", "and", "not", "if", "then", "else", "let", "fn", "input", "=", "x", "f", ".", ".macd", "..",
                         "\n", " ", "//", "é", "\"", ":", ":data", ":load", ":set", ":type", ":ir", ":last", ":at", ":plot",
                         ":backtest", ":reset", "Data/GOOG.csv", "Strategies/sma_cross.strat", "nope.csv", "x=", "=3", "-5",
                         "2013-01-01", "/tmp/strat-fuzz.svg", "1e400", "nan"]

    @Test func randomInputsNeverCrashTheSession() throws {
        let session = Session(interactive: false, color: false, directory: repoRoot)
        #expect(!session.loadData(path: "Data/GOOG.csv").failed)
        var rng = SplitMix64(seed: 2026)
        var failures = 0
        for _ in 0..<1500 {
            var input = ""
            for _ in 0..<(1 + Int(rng.next() % 8)) { input += Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] + (rng.unit() < 0.4 ? " " : "") }
            let reply = session.handle(input)
            if reply.failed {
                failures += 1
                #expect(!reply.err.isEmpty, "a failure without a message for \(input.debugDescription)")
            }
            if input.contains(":reset") || input.contains(":data") { _ = session.loadData(path: "Data/GOOG.csv") }
        }
        #expect(failures > 100)
        // Still a working session.
        let after = session.handle(":reset")
        #expect(!after.failed)
        #expect(session.handle("sma(close, 3)").out.hasPrefix("series Price = "))
    }
}

import StratMarket
import Testing

/// NumberText must write exactly what `description` writes (reports stay
/// byte-identical to the text they had before it and read back exactly).
@Suite struct NumberTextTests {
    func text(_ v: Double) -> String {
        var out: [UInt8] = []
        NumberText.append(v, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func knownValues() {
        let cases: [(Double, String)] = [
            (806.67, "806.67"), (10_000, "10000.0"), (0.5, "0.5"), (0.0001, "0.0001"), (1e-05, "1e-05"),
            (-3.25, "-3.25"), (0.1 + 0.2, "0.30000000000000004"), (123_456_789_012_345.6, "123456789012345.6"),
            (1e15, "1000000000000000.0"), (-0.0, "-0.0"), (0, "0.0"), (4.40572, "4.40572"), (806.6700000000777, "806.6700000000777"),
            ((103.55 - 102.66) * -95, "-84.55000000000005"),
            (.leastNonzeroMagnitude, "5e-324"), (.greatestFiniteMagnitude, "1.7976931348623157e+308"),
        ]
        for (v, expected) in cases {
            #expect(text(v) == expected, "\(v)")
            #expect(text(v) == v.description, "\(v)")
        }
    }

    /// Prices in cents, running sums of them (money with float error, like an
    /// equity curve), ratios, and arbitrary bit patterns across the exponents.
    @Test func agreesWithDescription() {
        var rng = SplitMix64(seed: 7)
        var sum = 0.0
        var mismatches: [Double] = []
        for i in 0..<400_000 {
            let cents = Double(Int.random(in: -10_000_000...10_000_000, using: &rng)) / 100
            sum += cents * 0.37
            let ratio = cents / Double(Int.random(in: 1...10_000, using: &rng))
            let bits = Double(bitPattern: rng.next() & 0x7FFF_FFFF_FFFF_FFFF | (i.isMultiple(of: 2) ? 0 : 1 << 63))
            let scaled = Double.random(in: 1e-4...1e15, using: &rng)
            // A trade's PnL: a price difference times a quantity (-84.55000000000005).
            let pnl = (Double(Int.random(in: 1...100_000, using: &rng)) / 100 - Double(Int.random(in: 1...100_000, using: &rng)) / 100)
                * Double(Int.random(in: 1...1_000, using: &rng))
            for v in [cents, sum, ratio, bits, scaled, pnl] where v.isFinite && text(v) != v.description {
                mismatches.append(v)
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5).map { "\($0.bitPattern)" })")
    }
}

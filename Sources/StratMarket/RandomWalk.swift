import Foundation

/// SplitMix64: a tiny seeded generator, so generated data and property tests
/// reproduce exactly (also across languages: Docs/bench/reference.py).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension BarSeries {
    /// Hourly bars of a seeded geometric random walk (0.2% volatility per bar,
    /// Box–Muller normals), for benchmarks and tests.
    public static func randomWalk(count: Int, seed: UInt64, symbol: String = "RW") -> BarSeries {
        var rng = SplitMix64(seed: seed)
        var bars: [Bar] = []
        bars.reserveCapacity(count)
        var price = 100.0
        for i in 0..<count {
            let open = price
            let u1 = rng.unit(), u2 = rng.unit()
            price *= exp(0.002 * (-2 * log(max(u1, 1e-300))).squareRoot() * cos(2 * .pi * u2))
            let high = max(open, price) * (1 + 0.001 * rng.unit()), low = min(open, price) * (1 - 0.001 * rng.unit())
            bars.append(Bar(time: 1_700_000_000_000 + Int64(i) * 3_600_000, open: open, high: high, low: low, close: price,
                            volume: 1000 + 1000 * rng.unit()))
        }
        return BarSeries(symbol: symbol, bars: bars)
    }
}

import Foundation

/// How likely the best point of a sweep is a fluke (Docs/Batch.md, "Overfitting guards").
///
/// ```swift
/// let returns: [[Double]] = …                     // returns[n][t]: point n's return in period t
/// let pbo = try Overfitting.pbo(returns, blocks: 16)
/// let sharpes = returns.map(Overfitting.sharpeRatio)
/// let best = sharpes.indices.max { sharpes[$0] < sharpes[$1] }!
/// let dsr = try Overfitting.deflatedSharpe(returns: returns[best], trials: returns.count,
///                                          sharpeVariance: Overfitting.sampleVariance(sharpes))
/// if pbo.probability > 0.5 || dsr.probability < 0.95 { print("the best point is likely a fluke") }
/// ```
///
/// Pure math over per-period returns: no engine, Foundation only. Every convention
/// (the remainder of T / S, flat series, ties) is stated in Docs/Batch.md and shared
/// by the independent reference in Data/golden/make_overfitting.py.
public enum Overfitting {
    /// C(20, 10) = 184,756 splits; beyond this the split count (and memory) explodes.
    public static let maxBlocks = 20
    /// The largest |return| accepted, so that sums of fourth powers cannot overflow.
    public static let maxReturnMagnitude = 1e50

    /// The Probability of Backtest Overfitting of a sweep, with what it was made of.
    public struct PBO: Sendable, Equatable, Codable {
        /// Share of the splits whose in-sample best point ranks at or below the median
        /// out of sample (logit ≤ 0).
        public var probability: Double
        /// C(S, S/2).
        public var splits: Int
        public var blocks: Int
        public var points: Int
        public var periods: Int
        /// Periods in each block, in time order (the first T mod S blocks have one more).
        public var blockLengths: [Int]
        /// Share of the splits where the in-sample best point's out-of-sample Sharpe is < 0.
        public var probabilityOfLoss: Double
        /// Per split, in lexicographic order of the in-sample block sets:
        /// λ = ln(ω / (1 − ω)), ω = rank / (N + 1) — for a histogram.
        public var logits: [Double]
        /// The in-sample best point's index.
        public var chosen: [Int]
        /// Its out-of-sample rank, 1 = worst … N = best; ties share their average rank.
        public var ranks: [Double]
        /// Its per-period Sharpe ratio in sample and out of sample (the paper's
        /// performance-degradation scatter).
        public var inSampleSharpe: [Double]
        public var outOfSampleSharpe: [Double]
    }

    /// The Deflated Sharpe Ratio of the chosen point.
    public struct DSR: Sendable, Equatable, Codable {
        /// The probability that the true Sharpe ratio exceeds SR*, the best to expect
        /// from `trials` points with no skill.
        public var probability: Double
        /// Per period, not annualised.
        public var sharpe: Double
        /// SR*, per period.
        public var expectedMaxSharpe: Double
        /// Biased sample moments: m3 / m2^1.5 and m4 / m2² (non-excess; 3 for a normal).
        public var skewness: Double, kurtosis: Double
        public var periods: Int, trials: Int
    }

    /// Why the guards cannot be computed for these returns.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case tooFewPoints(Int)
        case raggedReturns(point: Int, periods: Int, expected: Int)
        case tooFewPeriods(Int)
        case badBlockCount(Int)
        case moreBlocksThanPeriods(blocks: Int, periods: Int)
        case halfTooShort(blocks: Int, periods: Int)
        /// `point` is nil for the single series of `deflatedSharpe`.
        case badReturn(point: Int?, period: Int, value: Double)
        case tooFewTrials(Int)
        case badSharpeVariance(Double)
        case flatReturns
        case degenerateReturns

        public var description: String {
            switch self {
            case .tooFewPoints(let n):
                return "the probability of backtest overfitting needs at least 2 points; got \(n)"
            case .raggedReturns(let p, let got, let want):
                return "point \(p) has \(got) periods of returns; the first point has \(want) (all points need the same periods)"
            case .tooFewPeriods(let t):
                return "at least 2 periods of returns are needed; got \(t)"
            case .badBlockCount(let s):
                return "blocks must be an even number from 2 to \(Overfitting.maxBlocks); got \(s)"
            case .moreBlocksThanPeriods(let s, let t):
                return "\(s) blocks need at least \(s) periods of returns; got \(t)"
            case .halfTooShort(let s, let t):
                return "with \(s) blocks over \(t) periods a half has fewer than 2 periods, too few for a Sharpe ratio; use more periods"
            case .badReturn(let p, let t, let v):
                return (p.map { "point \($0), " } ?? "") + "period \(t): return \(v) is not a finite number of magnitude at most 1e50"
            case .tooFewTrials(let n):
                return "the deflated Sharpe ratio needs at least 1 trial; got \(n)"
            case .badSharpeVariance(let v):
                return "the variance of the trials' Sharpe ratios must be a finite number ≥ 0; got \(v)"
            case .flatReturns:
                return "the returns are all the same, so they have no Sharpe ratio to deflate"
            case .degenerateReturns:
                return "the returns take two values in a proportion that makes the Sharpe ratio's standard error 0; the deflated Sharpe ratio is undefined"
            }
        }
    }

    // MARK: - Probability of Backtest Overfitting

    /// Probability of Backtest Overfitting by combinatorially symmetric cross-validation
    /// (Bailey, Borwein, López de Prado, Zhu 2017). `returns[n][t]`: per-period returns of
    /// point n, all of the same length T; `blocks`: S, even, 2 ... `maxBlocks`, ≤ T.
    public static func pbo(_ returns: [[Double]], blocks s: Int) throws -> PBO {
        let n = returns.count
        guard n >= 2 else { throw Error.tooFewPoints(n) }
        let t = returns[0].count
        if let p = returns.firstIndex(where: { $0.count != t }) {
            throw Error.raggedReturns(point: p, periods: returns[p].count, expected: t)
        }
        guard t >= 2 else { throw Error.tooFewPeriods(t) }
        guard s >= 2, s % 2 == 0, s <= maxBlocks else { throw Error.badBlockCount(s) }
        guard s <= t else { throw Error.moreBlocksThanPeriods(blocks: s, periods: t) }
        let h = s / 2
        let lengths = (0..<s).map { t / s + ($0 < t % s ? 1 : 0) }
        guard lengths.sorted().prefix(h).reduce(0, +) >= 2 else { throw Error.halfTooShort(blocks: s, periods: t) }

        for (p, series) in returns.enumerated() {
            if let i = series.firstIndex(where: { !($0.magnitude <= maxReturnMagnitude) }) {
                throw Error.badReturn(point: p, period: i, value: series[i])
            }
        }
        return CSCV(returns, lengths: lengths).run()
    }

    /// The split loop. Per point and block it keeps the sum and the sum of squares of the
    /// returns, which makes any half's Sharpe ratio O(1) to get. Each half is summed from its
    /// own blocks in block order (not as the total less the other half, not shifted by a
    /// per-point mean), so two points with the same returns on a half get the same sums to
    /// the bit and tie, as the definition says. The buffers are raw memory because the loops
    /// over the points are the whole cost and must vectorise (no bounds or overflow checks).
    private final class CSCV {
        let n: Int, t: Int, lengths: [Int]
        /// `[block * n + point]`.
        let blockSum: UnsafeMutableBufferPointer<Double>, blockSq: UnsafeMutableBufferPointer<Double>
        let firstValue: UnsafeMutableBufferPointer<Double>
        /// Running sums over the blocks of the current in-sample set and of its complement,
        /// `[level * n + point]`: level d sums the set's first d + 1 blocks.
        let inSum: UnsafeMutableBufferPointer<Double>, inSq: UnsafeMutableBufferPointer<Double>
        let outSum: UnsafeMutableBufferPointer<Double>, outSq: UnsafeMutableBufferPointer<Double>
        /// Every point's score on the two halves (see `score`).
        let isPerf: UnsafeMutableBufferPointer<Double>, oosPerf: UnsafeMutableBufferPointer<Double>
        /// Bit b set: the point holds one value throughout block b.
        var flatBlocks: [UInt32]
        var partlyFlat: [Int] = []

        init(_ returns: [[Double]], lengths: [Int]) {
            n = returns.count
            t = returns[0].count
            self.lengths = lengths
            let s = lengths.count, h = s / 2
            func buffer(_ count: Int) -> UnsafeMutableBufferPointer<Double> {
                let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
                b.initialize(repeating: 0)
                return b
            }
            blockSum = buffer(s * n); blockSq = buffer(s * n); firstValue = buffer(s * n)
            inSum = buffer(h * n); inSq = buffer(h * n); outSum = buffer(h * n); outSq = buffer(h * n)
            isPerf = buffer(n); oosPerf = buffer(n)
            flatBlocks = .init(repeating: 0, count: n)
            for (p, series) in returns.enumerated() {
                series.withUnsafeBufferPointer { x in
                    var start = 0, flat: UInt32 = 0
                    for b in 0..<s {
                        let first = x[start]
                        var a = 0.0, q = 0.0, differ = false
                        for i in start..<(start + lengths[b]) {
                            let v = x[i]
                            a += v; q += v * v
                            differ = differ || v != first
                        }
                        blockSum[b * n + p] = a; blockSq[b * n + p] = q; firstValue[b * n + p] = first
                        if !differ { flat |= 1 << b }
                        start += lengths[b]
                    }
                    flatBlocks[p] = flat
                    if flat != 0 { partlyFlat.append(p) }
                }
            }
        }

        deinit {
            for b in [blockSum, blockSq, firstValue, inSum, inSq, outSum, outSq, isPerf, oosPerf] { b.deallocate() }
        }

        func run() -> PBO {
            let s = lengths.count, h = s / 2, combos = binomial(s, h)
            var out = PBO(probability: 0, splits: combos, blocks: s, points: n, periods: t, blockLengths: lengths,
                          probabilityOfLoss: 0, logits: .init(repeating: 0, count: combos),
                          chosen: .init(repeating: 0, count: combos), ranks: .init(repeating: 0, count: combos),
                          inSampleSharpe: .init(repeating: 0, count: combos), outOfSampleSharpe: .init(repeating: 0, count: combos))
            var overfit = 0, losses = 0
            let allBlocks = UInt32((1 << s) - 1)
            // The in-sample sets containing block 0 are the first C/2 in lexicographic order, and
            // the complement of the k-th is the (C − 1 − k)-th (complementing reverses the order),
            // so one pass over the first half scores both. Walking the sets in order, a step
            // redoes only the levels of the running sums from the first block that changed.
            var ins = Array(0..<h), outs = Array(h..<s)
            var staleIn = 0, staleOut = 0
            for k in 0..<(combos / 2) {
                for d in staleIn..<h { addBlock(ins[d], level: d, sum: inSum, sq: inSq) }
                for d in staleOut..<h { addBlock(outs[d], level: d, sum: outSum, sq: outSq) }
                var mask: UInt32 = 0, inLength = 0
                for b in ins { mask |= 1 << b; inLength += lengths[b] }
                let top = (h - 1) * n
                score(inSum.baseAddress! + top, inSq.baseAddress! + top, periods: inLength, into: isPerf)
                score(outSum.baseAddress! + top, outSq.baseAddress! + top, periods: t - inLength, into: oosPerf)
                for p in partlyFlat {
                    if isFlat(p, mask) { isPerf[p] = 0 }
                    if isFlat(p, allBlocks ^ mask) { oosPerf[p] = 0 }
                }
                for (split, forward) in [(k, true), (combos - 1 - k, false)] {
                    // forward: in sample = `ins`; otherwise the mirror split, halves swapped.
                    let (best, less, equal) = forward ? choose(isPerf, oosPerf) : choose(oosPerf, isPerf)
                    let rank = Double(less) + Double(equal + 1) / 2
                    let omega = rank / Double(n + 1)
                    let srIns = sharpe(best, isPerf, inSum, inSq, periods: inLength)
                    let srOuts = sharpe(best, oosPerf, outSum, outSq, periods: t - inLength)
                    let (srIn, srOut) = forward ? (srIns, srOuts) : (srOuts, srIns)
                    out.logits[split] = log(omega / (1 - omega))
                    out.chosen[split] = best
                    out.ranks[split] = rank
                    out.inSampleSharpe[split] = srIn
                    out.outOfSampleSharpe[split] = srOut
                    if 2 * less + equal <= n { overfit += 1 }      // rank ≤ (N + 1)/2: λ ≤ 0, counted exactly
                    if srOut < 0 { losses += 1 }
                }
                // The next in-sample set in lexicographic order, and its complement.
                var i = h - 1
                while i > 0 && ins[i] == s - h + i { i -= 1 }
                ins[i] += 1
                for j in (i + 1)..<h { ins[j] = ins[j - 1] + 1 }
                staleIn = i
                let previous = outs
                outs = (0..<s).filter { !ins.contains($0) }
                staleOut = outs.indices.first(where: { outs[$0] != previous[$0] }) ?? h
            }
            out.probability = Double(overfit) / Double(combos)
            out.probabilityOfLoss = Double(losses) / Double(combos)
            return out
        }

        /// Level d of running sums = level d − 1 (nothing for d = 0) + block b.
        private func addBlock(_ b: Int, level d: Int, sum: UnsafeMutableBufferPointer<Double>, sq: UnsafeMutableBufferPointer<Double>) {
            let s = sum.baseAddress! + d * n, q = sq.baseAddress! + d * n
            let bs = blockSum.baseAddress! + b * n, bq = blockSq.baseAddress! + b * n
            if d == 0 {
                for p in 0..<n { s[p] = bs[p]; q[p] = bq[p] }
            } else {
                for p in 0..<n { s[p] = s[p - n] + bs[p]; q[p] = q[p - n] + bq[p] }
            }
        }

        /// A point's Sharpe ratio on a half, from the same sums as its score; 0 where the score is
        /// (a flat half, or a variance that is not positive).
        private func sharpe(_ p: Int, _ perf: UnsafeMutableBufferPointer<Double>, _ sum: UnsafeMutableBufferPointer<Double>,
                            _ sq: UnsafeMutableBufferPointer<Double>, periods: Int) -> Double {
            guard perf[p] != 0 else { return 0 }
            let a = sum[(lengths.count / 2 - 1) * n + p], q = sq[(lengths.count / 2 - 1) * n + p], m = Double(periods)
            let d = a * (1 / m), v = (q - a * d) * (1 / (m - 1))
            return d / v.squareRoot()
        }

        /// Every point's score on a half from its sums there: sign(SR)·SR², which orders the
        /// points as their Sharpe ratios SR do (equal sums give equal scores) at one division
        /// and no square root, so the loop vectorises. 0 where the variance is not positive.
        private func score(_ sum: UnsafeMutablePointer<Double>, _ sq: UnsafeMutablePointer<Double>, periods: Int,
                           into perf: UnsafeMutableBufferPointer<Double>) {
            let f = perf.baseAddress!
            let m = Double(periods), r = 1 / m, r1 = 1 / (m - 1)
            for p in 0..<n {
                let a = sum[p], d = a * r, v = (sq[p] - a * d) * r1
                let score = d * d.magnitude / v
                f[p] = v > 0 ? score : 0
            }
        }

        /// The in-sample best (the first of the maxima) and how many points score below it
        /// and equal to it (itself included) out of sample.
        private func choose(_ ins: UnsafeMutableBufferPointer<Double>, _ oos: UnsafeMutableBufferPointer<Double>)
            -> (best: Int, less: Int, equal: Int) {
            let ip = ins.baseAddress!, op = oos.baseAddress!
            var best = 0, top = ip[0]
            for p in 1..<n where ip[p] > top { best = p; top = ip[p] }
            let v = op[best]
            // Bools summed as bytes: branch-free, so the loop vectorises.
            var below = 0, upTo = 0
            for p in 0..<n {
                let x = op[p]
                below &+= Int(unsafeBitCast(x < v, to: UInt8.self))
                upTo &+= Int(unsafeBitCast(x <= v, to: UInt8.self))
            }
            return (best, below, upTo - below)
        }

        /// Whether point p holds one value throughout the blocks in `mask`.
        private func isFlat(_ p: Int, _ mask: UInt32) -> Bool {
            guard mask & ~flatBlocks[p] == 0 else { return false }
            let value = firstValue[mask.trailingZeroBitCount * n + p]
            var rest = mask
            while rest != 0 {
                if firstValue[rest.trailingZeroBitCount * n + p] != value { return false }
                rest &= rest - 1
            }
            return true
        }
    }

    /// C(n, k), exact for the sizes allowed here.
    static func binomial(_ n: Int, _ k: Int) -> Int {
        var r = 1
        for i in 0..<k { r = r * (n - i) / (i + 1) }
        return r
    }

    // MARK: - Deflated Sharpe Ratio

    /// Deflated Sharpe Ratio (Bailey & López de Prado 2014) of the chosen point's per-period
    /// `returns`, given the `trials` points tried and the variance of their per-period Sharpe
    /// ratios (use `sampleVariance` of their `sharpeRatio`s).
    public static func deflatedSharpe(returns: [Double], trials: Int, sharpeVariance: Double) throws -> DSR {
        let t = returns.count
        guard t >= 2 else { throw Error.tooFewPeriods(t) }
        if let i = returns.firstIndex(where: { !($0.magnitude <= maxReturnMagnitude) }) {
            throw Error.badReturn(point: nil, period: i, value: returns[i])
        }
        guard trials >= 1 else { throw Error.tooFewTrials(trials) }
        guard sharpeVariance.isFinite, sharpeVariance >= 0 else { throw Error.badSharpeVariance(sharpeVariance) }
        guard returns.contains(where: { $0 != returns[0] }) else { throw Error.flatReturns }

        let m = Moments(returns)
        let sr = m.mean / (m.m2 * Double(t) / Double(t - 1)).squareRoot()
        let skew = m.m3 / (m.m2 * m.m2.squareRoot())
        let kurt = m.m4 / (m.m2 * m.m2)
        let euler = 0.577_215_664_901_532_860_606_512_090_082_402_43
        let e = 2.718_281_828_459_045_235_360_287_471_352_662_50
        // One trial: nothing was selected; the expected maximum of one draw is its mean, 0.
        let srStar = trials == 1 ? 0 : sharpeVariance.squareRoot()
            * ((1 - euler) * normalQuantile(1 - 1 / Double(trials)) + euler * normalQuantile(1 - 1 / (Double(trials) * e)))
        let spread = 1 - skew * sr + (kurt - 1) / 4 * sr * sr
        // kurt ≥ 1 + skew², so spread ≥ (1 − skew·SR/2)² ≥ 0; it is 0 only for two-valued returns.
        guard spread > 0 else { throw Error.degenerateReturns }
        let z = (sr - srStar) * Double(t - 1).squareRoot() / spread.squareRoot()
        return DSR(probability: normalCDF(z), sharpe: sr, expectedMaxSharpe: srStar,
                   skewness: skew, kurtosis: kurt, periods: t, trials: trials)
    }

    /// Central moments of a sample, by two passes (biased: divided by T).
    private struct Moments {
        var mean = 0.0, m2 = 0.0, m3 = 0.0, m4 = 0.0
        init(_ x: [Double]) {
            let t = Double(x.count)
            mean = x.reduce(0, +) / t
            for v in x {
                let d = v - mean, d2 = d * d
                m2 += d2; m3 += d2 * d; m4 += d2 * d2
            }
            m2 /= t; m3 /= t; m4 /= t
        }
    }

    /// A series' per-period Sharpe ratio as the guards score it: mean / sample standard
    /// deviation (ddof 1), not annualised; 0 for fewer than 2 returns or when all are the same.
    public static func sharpeRatio(_ returns: [Double]) -> Double {
        guard returns.count >= 2, returns.contains(where: { $0 != returns[0] }) else { return 0 }
        let m = Moments(returns)
        let sd = (m.m2 * Double(returns.count) / Double(returns.count - 1)).squareRoot()
        return sd > 0 ? m.mean / sd : 0
    }

    /// Sample variance (ddof 1), as the trials' Sharpe-ratio variance for `deflatedSharpe`;
    /// 0 for fewer than 2 values.
    public static func sampleVariance(_ x: [Double]) -> Double {
        guard x.count >= 2 else { return 0 }
        return Moments(x).m2 * Double(x.count) / Double(x.count - 1)
    }

    // MARK: - The standard normal

    /// Φ(x), the standard normal CDF.
    public static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x * 0.707_106_781_186_547_524_400_844_362_104_849_04)   // x / √2, as scipy's ndtr
    }

    /// Φ⁻¹(p): Acklam's rational approximation (relative error < 1.2e-9) refined by one
    /// Halley step on erfc, which brings it to a few ulps. Works in the lower tail only:
    /// for p > 1/2 it returns −Φ⁻¹(1 − p), where 1 − p is exact, so both tails keep full
    /// relative accuracy. 0 → −∞, 1 → +∞, outside [0, 1] or NaN → NaN.
    public static func normalQuantile(_ p: Double) -> Double {
        guard p >= 0, p <= 1 else { return .nan }
        if p > 0.5 { return -normalQuantile(1 - p) }
        if p == 0 { return -.infinity }
        var x: Double
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            x = (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
                / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
                + 3.754408661907416e+00) * q + 1)
        } else {
            let q = p - 0.5, r = q * q
            x = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
                + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
                / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
                + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1)
        }
        // Halley: f(x) = Φ(x) − p, f' = φ(x), f'' = −x φ(x).
        let err = normalCDF(x) - p
        let u = err * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}

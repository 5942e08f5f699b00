import Foundation
import StratBatch
import StratMarket
import Testing

/// Data/golden/overfitting.json, written by Data/golden/make_overfitting.py (numpy, scipy):
/// an independent implementation of PBO and DSR with the conventions of Docs/Batch.md.
private struct Golden: Decodable {
    var numpy: String, scipy: String
    var cases: Cases
    var normal: [NormalPoint]

    struct Cases: Decodable {
        var small: PBOCase, noise: PBOCase, drift: PBOCase, ties: PBOCase
        var skewed: SkewedCase
    }
    struct PBOCase: Decodable {
        var scale: Double, offset: Double?
        var blocks: Int
        var ticks: [[Int]]?
        var driftPoint: Int?, driftTicks: Int?
        var pbo: PBOValues
        var dsr: DSRValues?
    }
    struct PBOValues: Decodable {
        var splits: Int
        var blockLengths: [Int]
        var probability: Double, probabilityOfLoss: Double
        // Small cases: every split.
        var chosen: [Int]?, ranks: [Double]?, logits: [Double]?
        var inSampleSharpe: [Double]?, outOfSampleSharpe: [Double]?
        // Large cases: histograms, checksums and the first 16 splits.
        var rankCounts: [String: Int]?, chosenCounts: [Int]?
        var chosenChecksum: Int?, rankChecksum: Int?
        var logitsHead: [Double]?, inSampleSharpeHead: [Double]?, outOfSampleSharpeHead: [Double]?
        var inSampleSharpeSum: Double?, outOfSampleSharpeSum: Double?
    }
    struct DSRValues: Decodable {
        var point: Int?
        var trials: Int, sharpeVariance: Double, periods: Int
        var probability: Double, sharpe: Double, expectedMaxSharpe: Double, skewness: Double, kurtosis: Double
    }
    struct SkewedCase: Decodable {
        var scale: Double
        var ticks: [Int]
        var dsr: [DSRValues]
    }
    struct NormalPoint: Decodable {
        var p: Double?, ppf: Double?, x: Double?, cdf: Double?
        /// mpmath at 40 digits.
        var exact: Double
    }

    /// Read once; a missing or broken file fails the tests that need it, not the run.
    private static let loaded = Result<Golden, any Error> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Data/golden/overfitting.json")
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }
    static func load() throws -> Golden { try loaded.get() }
}

private struct GoldenError: Error { var message: String }

/// return = (ticks + offset) / scale: the same IEEE operations as the script's numpy.
private func returns(_ ticks: [[Int]], _ scale: Double, offset: Double = 0) -> [[Double]] {
    ticks.map { $0.map { (Double($0) + offset) / scale } }
}

private func returns(of c: Golden.PBOCase) throws -> [[Double]] {
    let base = try Golden.load().cases.noise.ticks
    guard var ticks = c.ticks ?? base else { throw GoldenError(message: "a case without ticks needs the noise case's") }
    if let p = c.driftPoint, let d = c.driftTicks { ticks[p] = ticks[p].map { $0 + d } }
    return returns(ticks, c.scale, offset: c.offset ?? 0)
}

private func close(_ a: Double, _ b: Double, rel: Double = 1e-9, abs: Double = 1e-15) -> Bool {
    Swift.abs(a - b) <= max(abs, rel * max(Swift.abs(a), Swift.abs(b)))
}

private func expectClose(_ a: [Double], _ b: [Double], rel: Double = 1e-9, _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "\(what): \(a.count) values, expected \(b.count)", sourceLocation: sourceLocation)
    for (i, (x, y)) in zip(a, b).enumerated() where !close(x, y, rel: rel) {
        Issue.record("\(what)[\(i)] = \(x), expected \(y)", sourceLocation: sourceLocation)
        return
    }
}

/// The result against a golden: the probability exactly (a count ratio), every split's choice and
/// rank exactly, the Sharpe ratios and logits to 1e-9.
private func expectMatches(_ r: Overfitting.PBO, _ g: Golden.PBOValues, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.splits == g.splits, sourceLocation: sourceLocation)
    #expect(r.blockLengths == g.blockLengths, sourceLocation: sourceLocation)
    #expect(r.probability == g.probability, sourceLocation: sourceLocation)
    #expect(r.probabilityOfLoss == g.probabilityOfLoss, sourceLocation: sourceLocation)
    if let chosen = g.chosen {
        #expect(r.chosen == chosen, sourceLocation: sourceLocation)
        #expect(r.ranks == g.ranks!, sourceLocation: sourceLocation)
        expectClose(r.logits, g.logits!, rel: 1e-12, "logits", sourceLocation: sourceLocation)
        expectClose(r.inSampleSharpe, g.inSampleSharpe!, "inSampleSharpe", sourceLocation: sourceLocation)
        expectClose(r.outOfSampleSharpe, g.outOfSampleSharpe!, "outOfSampleSharpe", sourceLocation: sourceLocation)
    } else {
        var counts: [String: Int] = [:]
        for x in r.ranks { counts[String(x), default: 0] += 1 }
        #expect(counts == g.rankCounts!, sourceLocation: sourceLocation)
        let chosenCounts = (0...(r.chosen.max() ?? 0)).map { n in r.chosen.count(where: { $0 == n }) }
        #expect(chosenCounts == g.chosenCounts!, sourceLocation: sourceLocation)
        // Σ (k + 1)·x_k: the whole sequence in split order, not only its histogram.
        let chosenSum = r.chosen.enumerated().reduce(0) { $0 + ($1.offset + 1) * $1.element }
        let rankSum = r.ranks.enumerated().reduce(0) { $0 + ($1.offset + 1) * Int(2 * $1.element) }
        #expect(chosenSum == g.chosenChecksum!, sourceLocation: sourceLocation)
        #expect(rankSum == g.rankChecksum!, sourceLocation: sourceLocation)
        expectClose(Array(r.logits.prefix(16)), g.logitsHead!, rel: 1e-12, "logits", sourceLocation: sourceLocation)
        expectClose(Array(r.inSampleSharpe.prefix(16)), g.inSampleSharpeHead!, "inSampleSharpe", sourceLocation: sourceLocation)
        expectClose(Array(r.outOfSampleSharpe.prefix(16)), g.outOfSampleSharpeHead!, "outOfSampleSharpe", sourceLocation: sourceLocation)
        #expect(close(r.inSampleSharpe.reduce(0, +), g.inSampleSharpeSum!), sourceLocation: sourceLocation)
        #expect(close(r.outOfSampleSharpe.reduce(0, +), g.outOfSampleSharpeSum!), sourceLocation: sourceLocation)
    }
}

private func expectMatches(_ d: Overfitting.DSR, _ g: Golden.DSRValues, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(d.periods == g.periods && d.trials == g.trials, sourceLocation: sourceLocation)
    #expect(close(d.probability, g.probability), "DSR \(d.probability), expected \(g.probability)", sourceLocation: sourceLocation)
    #expect(close(d.sharpe, g.sharpe), "SR \(d.sharpe), expected \(g.sharpe)", sourceLocation: sourceLocation)
    #expect(close(d.expectedMaxSharpe, g.expectedMaxSharpe), "SR* \(d.expectedMaxSharpe), expected \(g.expectedMaxSharpe)", sourceLocation: sourceLocation)
    #expect(close(d.skewness, g.skewness), "skew \(d.skewness), expected \(g.skewness)", sourceLocation: sourceLocation)
    #expect(close(d.kurtosis, g.kurtosis), "kurtosis \(d.kurtosis), expected \(g.kurtosis)", sourceLocation: sourceLocation)
}

@Suite struct OverfittingTests {
    /// N = 3, T = 8, S = 4: blocks of 2 periods, returns in percent, with
    /// G = [3, 1] (mean 2), B = [−1, −3] (mean −2), Z = [2, −1] (mean ½):
    ///
    ///     point 0: G G B B     point 1: B B G G     point 2: Z Z Z Z
    ///
    /// Sharpe of a half (mean / sample sd of its 4 returns): GG = 2 / 1.155 = 1.732,
    /// BB = −1.732, GB = BG = 0, ZZ = 0.5 / 1.732 = 0.289.
    ///
    ///     in-sample  best            out-of-sample          rank r  ω = r/4  λ
    ///     {0,1}      0 (GG 1.732)    {2,3}: 0 is BB, worst   1       1/4      ln(1/3) < 0
    ///     {0,2}      2 (0.289 > 0)   {1,3}: 0, 0, 0.289      3       3/4      ln 3 > 0
    ///     {0,3}      2               {1,2}: likewise         3       3/4      ln 3
    ///     {1,2}      2               {0,3}                   3       3/4      ln 3
    ///     {1,3}      2               {0,2}                   3       3/4      ln 3
    ///     {2,3}      1 (GG)          {0,1}: 1 is BB, worst   1       1/4      ln(1/3)
    ///
    /// PBO = 2 / 6 (λ ≤ 0 in the first and last split); the chosen point loses out of sample
    /// (Sharpe −1.732) in the same two.
    @Test func theHandCheckedCase() throws {
        let c = try Golden.load().cases.small
        let r = try Overfitting.pbo(returns(of: c), blocks: 4)
        #expect(r.probability == 2.0 / 6.0)
        #expect(r.probabilityOfLoss == 2.0 / 6.0)
        #expect(r.chosen == [0, 2, 2, 2, 2, 1])
        #expect(r.ranks == [1, 3, 3, 3, 3, 1])
        #expect(r.blockLengths == [2, 2, 2, 2])
        #expect(close(r.logits[0], log(1.0 / 3.0)) && close(r.logits[1], log(3.0)))
        #expect(close(r.inSampleSharpe[0], 2 / (4.0 / 3.0).squareRoot()))
        #expect(close(r.outOfSampleSharpe[0], -2 / (4.0 / 3.0).squareRoot()))
        expectMatches(r, c.pbo)
    }

    /// 50 points of iid noise, T = 1,000, S = 16: the in-sample best is a fluke, so it lands
    /// below the median out of sample about half the time, and its Sharpe ratio is about
    /// what the best of 50 noise series should be.
    @Test func pureNoiseLooksOverfit() throws {
        let c = try Golden.load().cases.noise
        let x = try returns(of: c)
        let r = try Overfitting.pbo(x, blocks: 16)
        expectMatches(r, c.pbo)
        #expect(r.splits == 12_870 && r.blockLengths == Array(repeating: 63, count: 8) + Array(repeating: 62, count: 8))
        #expect(r.probability > 0.35 && r.probability < 0.65, "PBO \(r.probability)")

        let g = try #require(c.dsr)
        let sharpes = x.map(Overfitting.sharpeRatio)
        let best = sharpes.indices.max(by: { sharpes[$0] < sharpes[$1] })!
        #expect(best == g.point)
        #expect(close(Overfitting.sampleVariance(sharpes), g.sharpeVariance))
        let d = try Overfitting.deflatedSharpe(returns: x[best], trials: 50, sharpeVariance: g.sharpeVariance)
        expectMatches(d, g)
        #expect(d.probability < 0.8, "DSR \(d.probability)")
    }

    /// The same noise with a quarter-sigma drift on point 7: it is chosen in sample and stays
    /// above the median out of sample, and its Sharpe ratio beats the best that 50 trials of
    /// noise would give.
    @Test func aGenuinelyBetterPointIsNotOverfit() throws {
        let c = try Golden.load().cases.drift
        let x = try returns(of: c)
        let r = try Overfitting.pbo(x, blocks: 16)
        expectMatches(r, c.pbo)
        #expect(r.probability < 0.05, "PBO \(r.probability)")
        #expect(r.chosen.count(where: { $0 == 7 }) > r.splits / 2)

        let g = try #require(c.dsr)
        #expect(g.point == 7)
        let d = try Overfitting.deflatedSharpe(returns: x[7], trials: 50, sharpeVariance: g.sharpeVariance)
        expectMatches(d, g)
        #expect(d.probability > 0.95, "DSR \(d.probability)")
    }

    /// T = 27, S = 6: blocks 5, 5, 5, 4, 4, 4. Point 0 is all 0 and point 1 all 5 bp (both score 0
    /// on every half), 3 repeats 2, 4 is 0 through the first three blocks; 2, 4 and 5 lose on average.
    @Test func tiesAndFlatPointsFollowTheDocumentedRules() throws {
        let c = try Golden.load().cases.ties
        let r = try Overfitting.pbo(returns(of: c), blocks: 6)
        expectMatches(r, c.pbo)
        #expect(r.blockLengths == [5, 5, 5, 4, 4, 4])
        // In-sample ties go to the lowest index: 1 ties 0 and 3 ties 2 on every half.
        #expect(!r.chosen.contains(1) && !r.chosen.contains(3))
        // Split 0 ({0,1,2} in sample): 2…5 lose, so 0, 1 and 4 (flat there) tie at 0 and 0 wins;
        // out of sample 2…5 still lose and 0 and 1 share ranks 5 and 6.
        #expect(r.chosen[0] == 0 && r.ranks[0] == 5.5 && r.inSampleSharpe[0] == 0)
        // ω = 3.5 / 7 = ½ gives λ = 0 exactly, which counts as overfit.
        let half = try #require(r.ranks.firstIndex(of: 3.5))
        #expect(r.logits[half] == 0)
        #expect(r.probability == Double(r.ranks.count(where: { $0 <= 3.5 })) / 20)
    }

    /// S = 2: point 0 holds c through one block and moves in the other; point 1 moves as point 0
    /// there and earns a little in the block where point 0 is flat. From sums, a flat half's
    /// variance Σr² − (Σr)²/m rounds to either side of 0; the rule scores that half 0 whatever
    /// the rounding, and the half where the two move alike is an exact tie.
    @Test(arguments: [0, 1]) func aHalfHoldingOneValueScoresZero(flatBlock: Int) throws {
        for k in 1...40 {
            let c = Double(k) * 0.000_37
            var rng = SplitMix64(seed: UInt64(k))
            let moving = (0..<20).map { _ in rng.unit() * 0.01 - 0.004 }
            let flat = Array(repeating: c, count: 20), earning = moving.map { $0 + 0.002 }
            let x = flatBlock == 0 ? [flat + moving, earning + moving] : [moving + flat, moving + earning]
            let r = try Overfitting.pbo(x, blocks: 2)
            // Split `flatBlock` (that block in sample): point 0 scores 0, point 1 more.
            #expect(r.chosen[flatBlock] == 1 && r.inSampleSharpe[flatBlock] > 0, "c = \(c)")
            // The other split: a tie in sample, so point 0; out of sample it is flat: 0, below point 1.
            let other = 1 - flatBlock
            #expect(r.chosen[other] == 0 && r.outOfSampleSharpe[other] == 0 && r.ranks[other] == 1, "c = \(c)")
        }
    }

    @Test func deflatedSharpeOfASkewedSeries() throws {
        let c = try Golden.load().cases.skewed
        let x = returns([c.ticks], c.scale)[0]
        for g in c.dsr {
            let d = try Overfitting.deflatedSharpe(returns: x, trials: g.trials, sharpeVariance: g.sharpeVariance)
            expectMatches(d, g)
        }
        #expect(c.dsr[0].skewness < -1)
        // One trial: nothing was selected, SR* = 0.
        let one = try Overfitting.deflatedSharpe(returns: x, trials: 1, sharpeVariance: 0)
        #expect(one.expectedMaxSharpe == 0)
        // More trials, or more spread among them, raise the bar.
        let more = try Overfitting.deflatedSharpe(returns: x, trials: 1_000, sharpeVariance: 0.002)
        #expect(more.expectedMaxSharpe > c.dsr[0].expectedMaxSharpe && more.probability < c.dsr[0].probability)
    }

    @Test func normalQuantileAndCDFMatchScipy() throws {
        for g in try Golden.load().normal {
            if let p = g.p, let ppf = g.ppf {
                let x = Overfitting.normalQuantile(p)
                #expect(close(x, g.exact, rel: 1e-15, abs: 0), "Φ⁻¹(\(p)) = \(x), exact \(g.exact)")
                #expect(close(x, ppf, rel: 1e-15, abs: 0), "Φ⁻¹(\(p)) = \(x), scipy \(ppf)")
            }
            // Φ far in the tail is as good as erfc of a rounded x/√2 allows: relative error
            // about x²·ε, 7e-15 at x = −8 (scipy's own is 7e-15 there).
            if let x = g.x, let cdf = g.cdf {
                let y = Overfitting.normalCDF(x)
                #expect(close(y, g.exact, rel: 1e-14, abs: 0), "Φ(\(x)) = \(y), exact \(g.exact)")
                #expect(close(y, cdf, rel: 1e-14, abs: 0), "Φ(\(x)) = \(y), scipy \(cdf)")
            }
        }
        #expect(Overfitting.normalQuantile(0) == -.infinity && Overfitting.normalQuantile(1) == .infinity)
        #expect(Overfitting.normalQuantile(-0.1).isNaN && Overfitting.normalQuantile(.nan).isNaN)
        // Symmetric to the bit where 1 − p is exact: the upper tail is computed as the lower one.
        for p in [0.125, 0.03125, 0.001953125] {
            #expect(Overfitting.normalQuantile(1 - p) == -Overfitting.normalQuantile(p))
        }
    }

    /// The split-by-block-sums algorithm against the definition, written out plainly: every
    /// split's returns concatenated, the Sharpe ratio by two passes, the rank by sorting.
    /// Seeded random sweeps with flat stretches and duplicated points.
    @Test(arguments: 1...12) func agreesWithTheDefinitionOnRandomSweeps(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let n = 2 + Int(rng.next() % 9), s = 2 * (1 + Int(rng.next() % 5)), t = s * 2 + Int(rng.next() % 60)
        var x = (0..<n).map { _ in (0..<t).map { _ in (rng.unit() - 0.48) * 0.02 } }
        if n > 3 { x[3] = x[1] }                                                      // a duplicate
        if n > 2 { for i in 0..<(t / 2) { x[2][i] = 0.001 } }                        // flat for a while
        if n > 4 { x[4] = Array(repeating: 0, count: t) }                             // never trades
        let r = try Overfitting.pbo(x, blocks: s)
        let want = naivePBO(x, blocks: s)
        #expect(r.chosen == want.chosen, "seed \(seed): N \(n) T \(t) S \(s)")
        #expect(r.ranks == want.ranks, "seed \(seed): N \(n) T \(t) S \(s)")
        #expect(r.probability == want.probability, "seed \(seed)")
        expectClose(r.inSampleSharpe, want.inSampleSharpe, rel: 1e-10, "seed \(seed) inSampleSharpe")
        expectClose(r.outOfSampleSharpe, want.outOfSampleSharpe, rel: 1e-10, "seed \(seed) outOfSampleSharpe")
    }

    /// Relabelling the points relabels the choices and changes nothing else.
    @Test func theOrderOfThePointsDoesNotMatter() throws {
        var rng = SplitMix64(seed: 42)
        let x = (0..<12).map { _ in (0..<200).map { _ in rng.unit() - 0.5 } }
        let order = Array((0..<12).reversed())
        let a = try Overfitting.pbo(x, blocks: 8)
        let b = try Overfitting.pbo(order.map { x[$0] }, blocks: 8)
        #expect(a.probability == b.probability && a.ranks == b.ranks)
        #expect(a.chosen == b.chosen.map { order[$0] })
    }

    @Test func badInputIsAnErrorNamingWhatIsWrong() {
        let ok = [[0.01, -0.02, 0.03, 0.01], [0.02, 0.01, -0.01, 0.0]]
        func pboError(_ x: [[Double]], _ s: Int) -> Overfitting.Error? {
            do { _ = try Overfitting.pbo(x, blocks: s); return nil } catch { return error as? Overfitting.Error }
        }
        func dsrError(_ x: [Double], _ n: Int, _ v: Double) -> Overfitting.Error? {
            do { _ = try Overfitting.deflatedSharpe(returns: x, trials: n, sharpeVariance: v); return nil } catch { return error as? Overfitting.Error }
        }
        #expect(pboError(ok, 2) == nil)
        #expect(pboError([ok[0]], 2) == .tooFewPoints(1))
        #expect(pboError([], 2) == .tooFewPoints(0))
        #expect(pboError([ok[0], [0.01, 0.02]], 2) == .raggedReturns(point: 1, periods: 2, expected: 4))
        #expect(pboError([[0.01], [0.02]], 2) == .tooFewPeriods(1))
        #expect(pboError(ok, 3) == .badBlockCount(3))
        #expect(pboError(ok, 0) == .badBlockCount(0))
        #expect(pboError(ok, 22) == .badBlockCount(22))
        #expect(pboError(ok, 6) == .moreBlocksThanPeriods(blocks: 6, periods: 4))
        #expect(pboError([[0.01, 0.02, 0.03], [0.0, 0.01, 0.02]], 2) == .halfTooShort(blocks: 2, periods: 3))
        if case .badReturn(1, 1, let v)? = pboError([ok[0], [0.02, .nan, 0, 0]], 2) { #expect(v.isNaN) } else { Issue.record("NaN accepted") }
        #expect(pboError([ok[0], [0.02, 0, .infinity, 0]], 2) == .badReturn(point: 1, period: 2, value: .infinity))
        #expect(pboError([ok[0], [0.02, 0, 0, 1e60]], 2) == .badReturn(point: 1, period: 3, value: 1e60))
        #expect(pboError([ok[0], [0.02, 0, 0, 1e50]], 2) == nil)

        #expect(dsrError(ok[0], 10, 0.01) == nil)
        #expect(dsrError([0.01], 10, 0.01) == .tooFewPeriods(1))
        #expect(dsrError(ok[0], 0, 0.01) == .tooFewTrials(0))
        #expect(dsrError(ok[0], 10, -1) == .badSharpeVariance(-1))
        #expect(dsrError(ok[0], 10, .infinity) == .badSharpeVariance(.infinity))
        #expect(dsrError([0.01, 0.01, 0.01], 10, 0.01) == .flatReturns)
        #expect(dsrError([0.01, -.infinity, 0.01], 10, 0.01) == .badReturn(point: nil, period: 1, value: -.infinity))
        #expect(Overfitting.Error.badReturn(point: nil, period: 1, value: -.infinity).description
                    == "period 1: return -inf is not a finite number of magnitude at most 1e50")
        #expect(Overfitting.Error.badReturn(point: 2, period: 1, value: .nan).description
                    == "point 2, period 1: return nan is not a finite number of magnitude at most 1e50")
        // Returns at the limit: every moment stays finite.
        let huge = try? Overfitting.deflatedSharpe(returns: [1e50, -1e50, 1e50, 0], trials: 10, sharpeVariance: 0.01)
        #expect(huge.map { $0.kurtosis.isFinite && $0.probability.isFinite } == true)
        // 1 − γ₃·SR + (γ₄ − 1)/4·SR² ≥ (1 − γ₃·SR/2)² is 0 only for two values in one proportion;
        // {c − 1, c, c, c} with c = ¼ − √3/2 is that case up to rounding: an error or a probability,
        // never NaN.
        let c = 0.25 - 3.0.squareRoot() / 2
        do {
            let d = try Overfitting.deflatedSharpe(returns: [c - 1, c, c, c], trials: 10, sharpeVariance: 0.01)
            #expect(d.probability >= 0 && d.probability <= 1)
        } catch {
            #expect(error as? Overfitting.Error == .degenerateReturns)
        }

        #expect(Overfitting.Error.badBlockCount(3).description == "blocks must be an even number from 2 to 20; got 3")
        #expect(Overfitting.Error.raggedReturns(point: 1, periods: 2, expected: 4).description
                    == "point 1 has 2 periods of returns; the first point has 4 (all points need the same periods)")
    }
}

/// The definition, without block sums: for each in-sample set in lexicographic order, the
/// halves' returns concatenated, two-pass Sharpe ratios, the first maximum, the average rank.
private func naivePBO(_ x: [[Double]], blocks s: Int) -> (chosen: [Int], ranks: [Double], probability: Double,
                                                          inSampleSharpe: [Double], outOfSampleSharpe: [Double]) {
    let t = x[0].count, n = x.count
    var bounds: [Range<Int>] = []
    var start = 0
    for b in 0..<s {
        let len = t / s + (b < t % s ? 1 : 0)
        bounds.append(start..<(start + len)); start += len
    }
    func combinations(_ from: Int, _ k: Int) -> [[Int]] {
        if k == 0 { return [[]] }
        guard from < s else { return [] }
        return combinations(from + 1, k - 1).map { [from] + $0 } + combinations(from + 1, k)
    }
    var chosen: [Int] = [], ranks: [Double] = [], ins: [Double] = [], outs: [Double] = []
    for c in combinations(0, s / 2) {
        let rest = (0..<s).filter { !c.contains($0) }
        let i = x.map { p in Overfitting.sharpeRatio(c.flatMap { Array(p[bounds[$0]]) }) }
        let o = x.map { p in Overfitting.sharpeRatio(rest.flatMap { Array(p[bounds[$0]]) }) }
        let best = i.firstIndex(of: i.max()!)!
        let sorted = o.sorted()
        let lo = sorted.firstIndex(of: o[best])!, hi = sorted.lastIndex(of: o[best])!
        chosen.append(best)
        ranks.append(Double(lo + hi + 2) / 2)
        ins.append(i[best]); outs.append(o[best])
    }
    let overfit = ranks.count(where: { $0 / Double(n + 1) <= 0.5 })
    return (chosen, ranks, Double(overfit) / Double(ranks.count), ins, outs)
}

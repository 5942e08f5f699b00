"""Reference values for the overfitting guards of `strat batch`
(Sources/StratBatch/Overfitting.swift, Docs/Batch.md "Overfitting guards"):
the Probability of Backtest Overfitting by combinatorially symmetric
cross-validation (Bailey, Borwein, Lopez de Prado, Zhu 2017) and the Deflated
Sharpe Ratio (Bailey & Lopez de Prado 2014), computed here independently of the
Swift code: itertools.combinations over the blocks, numpy per split,
scipy.stats.rankdata for the ranks, scipy.stats.norm for the normal, scipy.stats
skew/kurtosis for the moments.

    python -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install numpy scipy mpmath
    /tmp/refvenv/bin/python Data/golden/make_overfitting.py

writes Data/golden/overfitting.json (byte-identical on a re-run). Returns are
stored as integer ticks (return = (ticks + offset) / scale: one IEEE addition and
one division), so the Swift tests read exactly the numbers used here and the file
stays small. The offset (1234567e-7, not a fraction with a small denominator) keeps
any half's sum of returns away from exactly 0, where the sign of a Sharpe ratio
would be down to rounding. mpmath gives the exact normal CDF and quantile that
both scipy and the Swift code are held to.

Conventions (the same as the Swift code; Docs/Batch.md states them):
- blocks: the T periods are cut into S contiguous blocks; the first T mod S
  blocks get one period more (numpy.array_split);
- splits: every choice of S/2 blocks as in-sample, in itertools.combinations
  (lexicographic) order; the other blocks are out-of-sample;
- Sharpe ratio of a series: mean / std (ddof 1), per period; 0 when every value
  of the series is the same (a flat point, e.g. one that never trades);
- the in-sample best: the highest in-sample Sharpe, ties to the lowest index;
- its out-of-sample rank r: 1 = worst ... N = best, ties get their average rank;
- omega = r / (N + 1), logit = ln(omega / (1 - omega)), PBO = share of splits
  with logit <= 0; probability of loss = share with out-of-sample Sharpe < 0;
- DSR: SR* = sqrt(V) ((1 - g) ppf(1 - 1/N) + g ppf(1 - 1/(N e))), 0 for N = 1;
  DSR = cdf((SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurt - 1)/4 SR^2)),
  skew and kurt the biased sample moments (scipy's defaults, kurtosis
  non-excess), V the sample variance (ddof 1) of the trials' Sharpe ratios.
"""
import itertools, json, math, os
import mpmath
import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))


def sharpe(x):
    x = np.asarray(x, dtype=np.float64)
    if np.all(x == x[0]):
        return 0.0
    sd = np.std(x, ddof=1)
    return float(np.mean(x) / sd) if sd > 0 else 0.0


def pbo(r, S):
    """r: (N, T) returns; S blocks."""
    N, T = r.shape
    blocks = np.array_split(np.arange(T), S)
    splits = list(itertools.combinations(range(S), S // 2))
    chosen, ranks, logits, is_sr, oos_sr = [], [], [], [], []
    for ins in splits:
        outs = [b for b in range(S) if b not in ins]
        i_idx = np.concatenate([blocks[b] for b in ins])
        o_idx = np.concatenate([blocks[b] for b in outs])
        i_perf = np.array([sharpe(r[n, i_idx]) for n in range(N)])
        o_perf = np.array([sharpe(r[n, o_idx]) for n in range(N)])
        best = int(np.argmax(i_perf))                 # first of the maxima
        rank = float(stats.rankdata(o_perf, method="average")[best])
        w = rank / (N + 1)
        chosen.append(best)
        ranks.append(rank)
        logits.append(float(np.log(w / (1 - w))))
        is_sr.append(float(i_perf[best]))
        oos_sr.append(float(o_perf[best]))
    return dict(
        splits=len(splits),
        blockLengths=[len(b) for b in blocks],
        probability=sum(1 for l in logits if l <= 0) / len(splits),
        probabilityOfLoss=sum(1 for s in oos_sr if s < 0) / len(splits),
        chosen=chosen, ranks=ranks, logits=logits,
        inSampleSharpe=is_sr, outOfSampleSharpe=oos_sr,
    )


def dsr(x, trials, V):
    x = np.asarray(x, dtype=np.float64)
    T = len(x)
    sr = float(np.mean(x) / np.std(x, ddof=1))
    skew = float(stats.skew(x))                       # bias=True: m3 / m2^1.5
    kurt = float(stats.kurtosis(x, fisher=False))     # bias=True: m4 / m2^2
    g = float(np.euler_gamma)
    if trials == 1:
        sr_star = 0.0
    else:
        sr_star = math.sqrt(V) * ((1 - g) * stats.norm.ppf(1 - 1 / trials)
                                  + g * stats.norm.ppf(1 - 1 / (trials * math.e)))
    z = (sr - sr_star) * math.sqrt(T - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr * sr)
    return dict(trials=trials, sharpeVariance=V, periods=T, probability=float(stats.norm.cdf(z)),
                sharpe=sr, expectedMaxSharpe=float(sr_star), skewness=skew, kurtosis=kurt)


def checksum(seq, scale=1):
    """Order-sensitive integer checksum, sum of (k + 1) * seq[k] * scale, exact in Swift too."""
    return sum((k + 1) * int(round(v * scale)) for k, v in enumerate(seq))


def summary(p, full):
    """Everything for small cases; for large ones the per-split sequences are checked by
    histograms, integer checksums and their first 16 entries (the file stays small)."""
    if full:
        return p
    out = {k: p[k] for k in ("splits", "blockLengths", "probability", "probabilityOfLoss")}
    out["rankCounts"] = {repr(r): c for r, c in sorted(
        {r: p["ranks"].count(r) for r in set(p["ranks"])}.items())}
    out["chosenCounts"] = [p["chosen"].count(n) for n in range(max(p["chosen"]) + 1)]
    out["chosenChecksum"] = checksum(p["chosen"])
    out["rankChecksum"] = checksum(p["ranks"], 2)     # ranks are whole or halves
    for k in ("logits", "inSampleSharpe", "outOfSampleSharpe"):
        out[k + "Head"] = p[k][:16]
    out["inSampleSharpeSum"] = math.fsum(p["inSampleSharpe"])
    out["outOfSampleSharpeSum"] = math.fsum(p["outOfSampleSharpe"])
    return out


def returns(ticks, scale, offset=0.0):
    return (np.asarray(ticks, dtype=np.float64) + offset) / scale


OFFSET = 0.1234567


cases = {}

# 1. Hand-checkable: N = 3, T = 8, S = 4 (blocks of 2 periods), in percent.
#    G = [3, 1] (mean 2), B = [-1, -3] (mean -2), Z = [2, -1] (mean 0.5).
G, B, Z = [3, 1], [-1, -3], [2, -1]
small = [G + G + B + B, B + B + G + G, Z + Z + Z + Z]
cases["small"] = dict(scale=100, blocks=4, ticks=small,
                      pbo=summary(pbo(returns(small, 100), 4), full=True))

# 2. Pure noise: N = 50 points of iid normal returns (sigma 40 ticks of 1e-4), T = 1000, S = 16.
rng = np.random.default_rng(20240514)
noise = np.rint(rng.normal(0.0, 40.0, size=(50, 1000))).astype(int)
r_noise = returns(noise, 10_000, OFFSET)
noise_sharpes = [sharpe(r_noise[n]) for n in range(50)]
best = int(np.argmax(noise_sharpes))
cases["noise"] = dict(scale=10_000, offset=OFFSET, blocks=16, ticks=noise.tolist(),
                      pbo=summary(pbo(r_noise, 16), full=False),
                      dsr=dict(point=best, **dsr(r_noise[best], 50, float(np.var(noise_sharpes, ddof=1)))))

# 3. The same noise with a drift of 10 ticks (a quarter of sigma) added to point 7: a genuinely better point.
drifted = noise.copy()
drifted[7] += 10
r_drift = returns(drifted, 10_000, OFFSET)
drift_sharpes = [sharpe(r_drift[n]) for n in range(50)]
best = int(np.argmax(drift_sharpes))
assert best == 7
cases["drift"] = dict(scale=10_000, offset=OFFSET, blocks=16, base="noise", driftPoint=7, driftTicks=10,
                      pbo=summary(pbo(r_drift, 16), full=False),
                      dsr=dict(point=best, **dsr(r_drift[best], 50, float(np.var(drift_sharpes, ddof=1)))))

# 4. Ties and flat points: T = 27, S = 6 (blocks 5, 5, 5, 4, 4, 4), 20 splits.
#    0 never trades (all 0); 1 is constant (5 ticks); 3 duplicates 2; 4 is flat for the
#    first three blocks; 2, 4 and 5 lose on average, so the flat points are sometimes best.
rng = np.random.default_rng(1)
p2 = np.rint(rng.normal(-4.0, 40.0, size=27)).astype(int)
p4 = np.rint(rng.normal(-8.0, 40.0, size=27)).astype(int); p4[:15] = 0
p5 = np.rint(rng.normal(-8.0, 40.0, size=27)).astype(int)
ties = [[0] * 27, [5] * 27, p2.tolist(), p2.tolist(), p4.tolist(), p5.tolist()]
tp = pbo(returns(ties, 10_000), 6)
assert tp["blockLengths"] == [5, 5, 5, 4, 4, 4]
assert 0 in tp["chosen"] and 2 in tp["chosen"], tp["chosen"]            # a flat best and a duplicated best
assert 3 not in tp["chosen"] and 1 not in tp["chosen"]                   # ties go to the lowest index
assert 4 in tp["chosen"]                                                 # 4, flat in blocks 0-2, sometimes best
assert any(r != int(r) for r in tp["ranks"]), tp["ranks"]                # an average rank
assert 3.5 in tp["ranks"]                                                # omega = 1/2 exactly: logit 0 counts
cases["ties"] = dict(scale=10_000, blocks=6, ticks=ties, pbo=summary(tp, full=True))

# 5. DSR of a skewed series (rare large losses), 100 trials; and a single trial (SR* = 0).
rng = np.random.default_rng(99)
skewed = np.rint(rng.normal(20.0, 20.0, size=250)).astype(int)
skewed[rng.random(250) < 0.04] -= 250
cases["skewed"] = dict(scale=10_000, ticks=skewed.tolist(), dsr=[
    dsr(returns(skewed, 10_000), 100, 0.002),
    dsr(returns(skewed, 10_000), 1, 0.0),
])

mpmath.mp.dps = 40
normal = [dict(p=p, ppf=float(stats.norm.ppf(p)), exact=float(mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(p) - 1)))
          for p in (1e-10, 1e-3, 0.025, 0.5, 0.975, 1 - 1e-3, 1 - 1e-10)]
normal += [dict(x=x, cdf=float(stats.norm.cdf(x)), exact=float(mpmath.ncdf(x)))
           for x in (-8.0, -1.959963984540054, -0.5, 0.0, 0.5, 3.0, 6.0)]

doc = dict(
    generator="Data/golden/make_overfitting.py",
    numpy=np.__version__, scipy=scipy.__version__, mpmath=mpmath.__version__,
    cases=cases, normal=normal,
)


def dump(o, ind=0):
    """JSON with lists of scalars on one line: small and readable."""
    pad = " " * ind
    if isinstance(o, dict):
        items = [f'{pad} {json.dumps(k)}: {dump(v, ind + 1)}' for k, v in o.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(o, list) and any(isinstance(v, (list, dict)) for v in o):
        return "[\n" + ",\n".join(pad + " " + dump(v, ind + 1) for v in o) + "\n" + pad + "]"
    return json.dumps(o, separators=(",", ":"))


with open(os.path.join(HERE, "overfitting.json"), "w") as f:
    f.write(dump(doc) + "\n")

for name, c in cases.items():
    if "pbo" in c:
        print(name, "PBO", c["pbo"]["probability"], "loss", c["pbo"]["probabilityOfLoss"])
    for d in ([c["dsr"]] if isinstance(c.get("dsr"), dict) else c.get("dsr", [])):
        print(name, "DSR", d["probability"], "SR", d["sharpe"], "SR*", d["expectedMaxSharpe"],
              "skew", d["skewness"], "kurt", d["kurtosis"])

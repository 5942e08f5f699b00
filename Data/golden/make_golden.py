"""Golden indicator values for the Swift tests (Tests/StratRuntimeTests).

Run from a virtualenv with `pip install ta-lib numpy pandas`:

    python Data/golden/make_golden.py

Writes Data/golden/<dataset>_indicators.csv. Each column header is an expression
of the Strat language; its cells are the reference values (empty = na; Bool as
1/0), printed with Python's shortest round-trip repr. TA-Lib computes every
indicator it has (keltner and supertrend are its KC and SUPERTREND); the others (hma,
rma, zscore, percentrank, vwap, donchian, ichimoku, pivots and the signal helpers) are
computed below from their definitions (ichimoku, pivots and the anchored vwap with pandas),
independently of the Swift code. Re-running reproduces the files byte for byte.
"""
import csv, math, os
from datetime import datetime, timezone
import numpy as np
import pandas as pd
import talib

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    with open(os.path.join(HERE, "..", name)) as f:
        rows = list(csv.DictReader(f))
    cols = {k: np.array([float(r[k]) for r in rows]) for k in ("open", "high", "low", "close", "volume")}
    cols["time"] = [r["time"] for r in rows]
    return cols


def wilder(x, n):
    """RMA seeded with the SMA of the first n non-na values."""
    out = np.full(len(x), np.nan)
    start = next((i for i, v in enumerate(x) if not math.isnan(v)), len(x))
    if start + n > len(x):
        return out
    v = sum(x[start:start + n]) / n
    out[start + n - 1] = v
    for i in range(start + n, len(x)):
        v = (v * (n - 1) + x[i]) / n
        out[i] = v
    return out


def percentrank(x, n):
    out = np.full(len(x), np.nan)
    for i in range(n, len(x)):
        out[i] = sum(1 for j in range(i - n, i) if x[j] <= x[i]) / n * 100
    return out


def zscore(x, n):
    sd = talib.STDDEV(x, n, 1)
    out = (x - talib.SMA(x, n)) / sd
    out[sd == 0] = np.nan
    return out


def donchian(h, l, n):
    """Not in TA-Lib: pandas' rolling max of the highs and min of the lows."""
    upper = pd.Series(h).rolling(n).max().to_numpy()
    lower = pd.Series(l).rolling(n).min().to_numpy()
    return upper, (upper + lower) / 2, lower


def supertrend(h, l, c, period, factor):
    """TA-Lib's SUPERTREND; its trend (+1 up, -1 down) is 0 during the warm-up, na here."""
    line, trend = talib.SUPERTREND(h, l, c, period, factor)
    return line, np.where(np.isnan(line), np.nan, trend.astype(float))


def ichimoku(h, l, tenkan, kijun, senkou):
    """pandas: midpoints of rolling windows; senkou A/B shifted forward by kijun bars, so the
    value on bar t is the one computed on bar t - kijun. All four na until senkou B exists."""
    hs, ls = pd.Series(h), pd.Series(l)
    mid = lambda n: (hs.rolling(n).max() + ls.rolling(n).min()) / 2
    t, k = mid(tenkan), mid(kijun)
    a, b = ((t + k) / 2).shift(kijun), mid(senkou).shift(kijun)
    known = a.notna() & b.notna()
    return [x.where(known).to_numpy() for x in (t, k, a, b)]


MS = {"1d": 86_400_000, "1w": 604_800_000, "4h": 14_400_000}


def buckets(times, period):
    """UTC buckets of `period` ms as the Swift resampler's (weeks from Monday 1970-01-05)."""
    offset = 4 * 86_400_000 if period % 604_800_000 == 0 else 0
    ms = pd.Series([epoch_ms(t) for t in times])
    return (ms - offset) // period, ms


def epoch_ms(t):
    return int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()) * 1000


def last_closed(d, period, interval):
    """pandas resampling: each bucket's high (max), low (min) and close (last), then on each bar
    the last bucket that has closed: by this bar if it ends the bucket, else the latest earlier
    bucket (a bucket with a gap before its end closes on the next bucket's first bar)."""
    b, ms = buckets(d["time"], period)
    frame = pd.DataFrame({"b": b, "high": d["high"], "low": d["low"], "close": d["close"]})
    agg = frame.groupby("b").agg(high=("high", "max"), low=("low", "min"), close=("close", "last"))
    offset = 4 * 86_400_000 if period % 604_800_000 == 0 else 0
    ends_bucket = (ms + interval) >= (b + 1) * period + offset
    closed = b.where(ends_bucket, b - 1)
    # The latest bucket with bars at or before `closed`.
    have = agg.index.to_numpy()
    pos = np.searchsorted(have, closed.to_numpy(), side="right") - 1
    out = {}
    for k in ("high", "low", "close"):
        vals = agg[k].to_numpy()
        out[k] = np.where(pos >= 0, vals[np.clip(pos, 0, None)], np.nan)
    return out["high"], out["low"], out["close"]


def pivots(h, l, c, kind):
    p, rng = (h + l + c) / 3, h - l
    if kind == "classic":
        return [p, 2 * p - l, p + rng, h + 2 * (p - l), 2 * p - h, p - rng, l - 2 * (h - p)]
    if kind == "fib":
        return [p, p + 0.382 * rng, p + 0.618 * rng, p + rng, p - 0.382 * rng, p - 0.618 * rng, p - rng]
    w = rng * 1.1
    return [p, c + w / 12, c + w / 6, c + w / 4, c + w / 2, c - w / 12, c - w / 6, c - w / 4, c - w / 2]


def anchored_vwap(d, period):
    """hlc3·volume summed within each UTC bucket of `period` ms (pandas groupby cumsum)."""
    b, _ = buckets(d["time"], period)
    pv = pd.Series((d["high"] + d["low"] + d["close"]) / 3 * d["volume"])
    vol = pd.Series(d["volume"])
    pv_sum, vol_sum = pv.groupby(b).cumsum(), vol.groupby(b).cumsum()
    return (pv_sum / vol_sum).where(vol_sum > 0).to_numpy()


def hma(x, n):
    return talib.WMA(2 * talib.WMA(x, max(1, n // 2)) - talib.WMA(x, n), max(1, int(math.sqrt(n))))


def cross(a, b, above):
    out = np.full(len(a), np.nan)
    for i in range(1, len(a)):
        vals = (a[i], b[i], a[i - 1], b[i - 1])
        if any(math.isnan(v) for v in vals):
            continue
        out[i] = (a[i] > b[i] and a[i - 1] <= b[i - 1]) if above else (a[i] < b[i] and a[i - 1] >= b[i - 1])
    return out


def trend(x, n, rising):
    out = np.full(len(x), np.nan)
    for i in range(n, len(x)):
        prev = x[i - n:i]
        out[i] = x[i] > max(prev) if rising else x[i] < min(prev)
    return out


def barssince(cond):
    out, last = np.full(len(cond), np.nan), None
    for i, c in enumerate(cond):
        if c == 1:
            last = i
        if last is not None:
            out[i] = i - last
    return out


def valuewhen(cond, x, k):
    out, hits = np.full(len(x), np.nan), []
    for i in range(len(x)):
        if cond[i] == 1:
            hits.append(x[i])
        if len(hits) > k:
            out[i] = hits[-1 - k]
    return out


def vwap(d):
    out, day, pv, vol = np.full(len(d["close"]), np.nan), None, 0.0, 0.0
    for i, t in enumerate(d["time"]):
        today = t[:10]
        if today != day:
            day, pv, vol = today, 0.0, 0.0
        pv += (d["high"][i] + d["low"][i] + d["close"][i]) / 3 * d["volume"][i]
        vol += d["volume"][i]
        out[i] = pv / vol if vol > 0 else np.nan
    return out


def shifted_change(x, n, ratio):
    out = np.full(len(x), np.nan)
    for i in range(n, len(x)):
        out[i] = (x[i] / x[i - n] - 1 if x[i - n] != 0 else np.nan) if ratio else x[i] - x[i - n]
    return out


def columns(d, higher):
    """`higher`: the timeframe whose last closed bar the pivot columns read (a week for daily
    bars, a day for hourly ones)."""
    o, h, l, c, v = d["open"], d["high"], d["low"], d["close"], d["volume"]
    cols = {}
    for n in (5, 20):
        cols[f"sma(close, {n})"] = talib.SMA(c, n)
    for n in (3, 20):
        cols[f"ema(close, {n})"] = talib.EMA(c, n)
    cols["wma(close, 10)"] = talib.WMA(c, 10)
    cols["dema(close, 10)"] = talib.DEMA(c, 10)
    cols["tema(close, 10)"] = talib.TEMA(c, 10)
    for n in (10, 30):
        cols[f"kama(close, {n})"] = talib.KAMA(c, n)
    for n in (2, 14):
        cols[f"rsi(close, {n})"] = talib.RSI(c, n)
    cols["cmo(close, 14)"] = talib.CMO(c, 14)
    cols["roc(close, 10)"] = talib.ROC(c, 10)
    cols["mom(close, 10)"] = talib.MOM(c, 10)
    cols["stddev(close, 20)"] = talib.STDDEV(c, 20, 1)
    cols["variance(close, 20)"] = talib.VAR(c, 20, 1)
    cols["linreg_slope(close, 14)"] = talib.LINEARREG_SLOPE(c, 14)
    cols["correl(high, low, 30)"] = talib.CORREL(h, l, 30)
    cols["highest(high, 20)"] = talib.MAX(h, 20)
    cols["lowest(low, 20)"] = talib.MIN(l, 20)
    for n in (1, 14):
        cols[f"atr({n})"] = talib.ATR(h, l, c, n)
    cols["natr(14)"] = talib.NATR(h, l, c, 14)
    cols["trange()"] = talib.TRANGE(h, l, c)
    cols["cci(14)"] = talib.CCI(h, l, c, 14)
    cols["willr(14)"] = talib.WILLR(h, l, c, 14)
    cols["adx(14)"] = talib.ADX(h, l, c, 14)
    cols["plus_di(14)"] = talib.PLUS_DI(h, l, c, 14)
    cols["minus_di(14)"] = talib.MINUS_DI(h, l, c, 14)
    down, up = talib.AROON(h, l, 14)
    cols["aroon(14).down"], cols["aroon(14).up"] = down, up
    cols["obv()"] = talib.OBV(c, v)
    cols["mfi(14)"] = talib.MFI(h, l, c, v, 14)
    for f, s, g in ((12, 26, 9), (5, 35, 5)):
        m, sig, hist = talib.MACD(c, f, s, g)
        e = f"macd(close, {f}, {s}, {g})"
        cols[e + ".macd"], cols[e + ".signal"], cols[e + ".hist"] = m, sig, hist
    u, m, lo = talib.BBANDS(c, 20, 2, 2, 0)
    cols["bbands(close, 20, 2).upper"], cols["bbands(close, 20, 2).middle"], cols["bbands(close, 20, 2).lower"] = u, m, lo
    for k in (5, 14):
        sk, sd = talib.STOCH(h, l, c, k, 3, 0, 3, 0)
        cols[f"stoch({k}, 3, 3).k"], cols[f"stoch({k}, 3, 3).d"] = sk, sd
    cols["bop()"] = talib.BOP(o, h, l, c)
    cols["ad()"] = talib.AD(h, l, c, v)
    for f, s in ((3, 10), (7, 2)):
        cols[f"adosc({f}, {s})"] = talib.ADOSC(h, l, c, v, f, s)
    for n in (5, 15):
        cols[f"trix(close, {n})"] = talib.TRIX(c, n)
    for f, s in ((12, 26), (10, 3)):
        cols[f"ppo(close, {f}, {s})"] = talib.PPO(c, f, s, 0)
    cols["linreg(close, 14)"] = talib.LINEARREG(c, 14)
    cols["linreg_intercept(close, 14)"] = talib.LINEARREG_INTERCEPT(c, 14)
    cols["linreg_angle(close, 14)"] = talib.LINEARREG_ANGLE(c, 14)
    cols["tsf(close, 14)"] = talib.TSF(c, 14)
    cols["tsf(close, 5)"] = talib.TSF(c, 5)
    for n, k, dd in ((14, 5, 3), (14, 14, 3)):
        fk, fd = talib.STOCHRSI(c, n, k, dd, 0)
        e = f"stochrsi(close, {n}, {k}, {dd})"
        cols[e + ".fastk"], cols[e + ".fastd"] = fk, fd
    for p1, p2, p3 in ((7, 14, 28), (28, 5, 10)):
        cols[f"ultosc({p1}, {p2}, {p3})"] = talib.ULTOSC(h, l, c, p1, p2, p3)
    cols["sar()"] = talib.SAR(h, l, 0.02, 0.2)
    cols["sar(0.05, 0.1)"] = talib.SAR(h, l, 0.05, 0.1)
    cols["sar(0.3, 0.2)"] = talib.SAR(h, l, 0.3, 0.2)
    # keltner() is KC(20, 10, 2), whose ATR starts late (on the EMA's bar 19); in
    # keltner(5, 14, 1.5) the EMA of the typical price starts late (on the ATR's bar 14).
    for args, (n, an, m) in (("", (20, 10, 2)), ("5, 14, 1.5", (5, 14, 1.5))):
        e = f"keltner({args})"
        cols[e + ".upper"], cols[e + ".middle"], cols[e + ".lower"] = talib.KC(h, l, c, n, an, m)
    for args, (n, f) in (("", (10, 3)), ("3, 1.5", (3, 1.5))):
        e = f"supertrend({args})"
        cols[e + ".line"], cols[e + ".direction"] = supertrend(h, l, c, n, f)
    # Not in TA-Lib: from their definitions.
    for n in (20, 1):
        e = f"donchian({n})"
        cols[e + ".upper"], cols[e + ".middle"], cols[e + ".lower"] = donchian(h, l, n)
    for args, (t, k, s) in (("", (9, 26, 52)), ("5, 10, 20", (5, 10, 20))):
        e = f"ichimoku({args})"
        cols[e + ".tenkan"], cols[e + ".kijun"], cols[e + ".senkou_a"], cols[e + ".senkou_b"] = ichimoku(h, l, t, k, s)
    interval = int(np.median(np.diff([epoch_ms(t) for t in d["time"]])))
    ph, pl, pc = last_closed(d, MS[higher], interval)
    for name, kind, outs in (("pivots", "classic", "p r1 r2 r3 s1 s2 s3"), ("pivots_fib", "fib", "p r1 r2 r3 s1 s2 s3"),
                             ("pivots_camarilla", "camarilla", "p r1 r2 r3 r4 s1 s2 s3 s4")):
        for out, values in zip(outs.split(), pivots(ph, pl, pc, kind)):
            cols[f"{name}().{out}@{higher}"] = values
    for n in (9, 16):
        cols[f"hma(close, {n})"] = hma(c, n)
    cols["rma(close, 14)"] = wilder(c, 14)
    cols["rma(rsi(close, 14), 5)"] = wilder(talib.RSI(c, 14), 5)
    cols["ema(rsi(close, 14), 5)"] = talib.EMA(talib.RSI(c, 14), 5)
    cols["zscore(close, 20)"] = zscore(c, 20)
    cols["percentrank(close, 20)"] = percentrank(c, 20)
    cols["change(close, 5)"] = shifted_change(c, 5, False)
    cols["pct_change(close, 1)"] = shifted_change(c, 1, True)
    fast, slow = talib.SMA(c, 10), talib.SMA(c, 30)
    cols["crossover(sma(close, 10), sma(close, 30))"] = cross(fast, slow, True)
    cols["crossunder(sma(close, 10), sma(close, 30))"] = cross(fast, slow, False)
    cols["rising(close, 3)"] = trend(c, 3, True)
    cols["falling(close, 3)"] = trend(c, 3, False)
    up_bar = c > o
    cols["barssince(close > open)"] = barssince(up_bar)
    cols["valuewhen(crossover(sma(close, 10), sma(close, 30)), close, 1)"] = valuewhen(cross(fast, slow, True), c, 1)
    cols["vwap()"] = vwap(d)
    for anchor in ("1w", "4h"):
        cols[f"vwap({anchor})"] = anchored_vwap(d, MS[anchor])
    return cols


def fmt(x):
    return "" if math.isnan(x) else repr(float(x))


def write(dataset, out, higher):
    d = load(dataset)
    cols = columns(d, higher)
    with open(os.path.join(HERE, out), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["time"] + list(cols))
        for i, t in enumerate(d["time"]):
            w.writerow([t] + [fmt(v[i]) for v in cols.values()])


if __name__ == "__main__":
    write("GOOG.csv", "goog_indicators.csv", "1w")
    write("EURUSD.csv", "eurusd_indicators.csv", "1d")

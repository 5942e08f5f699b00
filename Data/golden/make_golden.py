"""Golden indicator values for the Swift tests (Tests/StratRuntimeTests).

Run from a virtualenv with `pip install ta-lib numpy pandas`:

    python Data/golden/make_golden.py

Writes Data/golden/<dataset>_indicators.csv. Each column header is an expression
of the Strat language; its cells are the reference values (empty = na; Bool as
1/0), printed with Python's shortest round-trip repr. TA-Lib computes every
indicator it has; the others (hma, rma, zscore, percentrank, vwap, donchian,
keltner, supertrend and the signal helpers) are computed below from their
definitions (keltner and supertrend from TA-Lib's EMA and ATR), independently of the Swift
code. Re-running reproduces the files byte for byte.
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


def keltner(h, l, c, n, mult):
    """EMA(close, n) ± mult·ATR(n) from TA-Lib's EMA and ATR (not Pine's ta.kc, which uses an EMA of
    the true range); na until both exist."""
    middle, atr = talib.EMA(c, n), talib.ATR(h, l, c, n)
    middle = np.where(np.isnan(atr), np.nan, middle)
    return middle + mult * atr, middle, middle - mult * atr


def supertrend(h, l, c, factor, period):
    """Pine's documented ta.supertrend, on TA-Lib's ATR; direction -1 up, +1 down."""
    atr = talib.ATR(h, l, c, period)
    line, direction = np.full(len(c), np.nan), np.full(len(c), np.nan)
    upper_prev = lower_prev = st_prev = None
    for i in range(len(c)):
        if math.isnan(atr[i]):
            continue
        src = (h[i] + l[i]) / 2
        upper, lower = src + factor * atr[i], src - factor * atr[i]
        if st_prev is None:
            d = 1
        else:
            lower = lower if lower > lower_prev or c[i - 1] < lower_prev else lower_prev
            upper = upper if upper < upper_prev or c[i - 1] > upper_prev else upper_prev
            if st_prev == upper_prev:
                d = -1 if c[i] > upper else 1
            else:
                d = 1 if c[i] < lower else -1
        st = lower if d == -1 else upper
        line[i], direction[i] = st, d
        upper_prev, lower_prev, st_prev = upper, lower, st
    return line, direction


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


def columns(d):
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
    cols["keltner(20, 2).upper"], cols["keltner(20, 2).middle"], cols["keltner(20, 2).lower"] = keltner(h, l, c, 20, 2)
    cols["keltner(5, 1.5).upper"], cols["keltner(5, 1.5).middle"], cols["keltner(5, 1.5).lower"] = keltner(h, l, c, 5, 1.5)
    for f, n in ((3, 10), (1.5, 3)):
        e = f"supertrend({f}, {n})"
        cols[e + ".line"], cols[e + ".direction"] = supertrend(h, l, c, f, n)
    # Not in TA-Lib: from their definitions.
    for n in (20, 1):
        e = f"donchian({n})"
        cols[e + ".upper"], cols[e + ".middle"], cols[e + ".lower"] = donchian(h, l, n)
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
    return cols


def fmt(x):
    return "" if math.isnan(x) else repr(float(x))


def write(dataset, out):
    d = load(dataset)
    cols = columns(d)
    with open(os.path.join(HERE, out), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["time"] + list(cols))
        for i, t in enumerate(d["time"]):
            w.writerow([t] + [fmt(v[i]) for v in cols.values()])


if __name__ == "__main__":
    write("GOOG.csv", "goog_indicators.csv")
    write("EURUSD.csv", "eurusd_indicators.csv")

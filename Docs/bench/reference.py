"""The reference side of `strat bench runtime`: the same seeded random-walk bars
(SplitMix64 + Box-Muller, as in Sources/StratMarket/RandomWalk.swift), timed in TA-Lib,
pandas, vectorbt and a plain per-bar Python loop.

    pip install ta-lib numpy pandas vectorbt
    python Docs/bench/reference.py [BARS]

Prints bars/s per case and the number of SMA-cross signals, which must equal
the checksum `strat bench runtime` prints for the same bar count.
"""
import math, sys, time
import numpy as np
import pandas as pd
import talib

MASK = (1 << 64) - 1


def random_walk(count, seed=42):
    state = seed
    def nxt():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return ((z ^ (z >> 31)) >> 11) / float(1 << 53)
    close = np.empty(count)
    price = 100.0
    for i in range(count):
        u1 = nxt(); u2 = nxt()
        price *= math.exp(0.002 * (math.sqrt(-2 * math.log(max(u1, 1e-300))) * math.cos(2 * math.pi * u2)))
        nxt(); nxt(); nxt()          # high, low and volume draws
        close[i] = price
    return close


def best(f, runs=5):
    t = float("inf")
    for _ in range(runs):
        s = time.perf_counter(); out = f(); t = min(t, time.perf_counter() - s)
    return t, out


def crosses(fast, slow):
    up = (fast[1:] > slow[1:]) & (fast[:-1] <= slow[:-1])
    down = (fast[1:] < slow[1:]) & (fast[:-1] >= slow[:-1])
    return int(up.sum() + down.sum())


def ema_loop(close, n=20):
    k, out, seed, v = 2 / (n + 1), [], 0.0, float("nan")
    for i, x in enumerate(close):
        if i < n:
            seed += x
            if i == n - 1:
                v = seed / n
        else:
            v = (x - v) * k + v
        out.append(v)
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    close = random_walk(n)
    rows = []
    t, _ = best(lambda: talib.EMA(close, 20)); rows.append(("TA-Lib EMA(20), whole array in C", t))
    t, _ = best(lambda: pd.Series(close).ewm(span=20, adjust=False).mean()); rows.append(("pandas ewm(span=20)", t))
    t, _ = best(lambda: ema_loop(close), runs=1); rows.append(("Python per-bar EMA loop", t))
    t, count = best(lambda: crosses(talib.SMA(close, 10), talib.SMA(close, 30)))
    rows.append(("TA-Lib SMA(10)/SMA(30) + numpy crossings", t))
    try:
        import vectorbt as vbt
        price = pd.Series(close)
        def vbt_cross():
            fast, slow = vbt.MA.run(price, 10), vbt.MA.run(price, 30)
            return int(fast.ma_crossed_above(slow).sum() + fast.ma_crossed_below(slow).sum())
        vbt_cross()                   # compile the numba kernels first
        t, vcount = best(vbt_cross); rows.append((f"vectorbt {vbt.__version__} MA.run + crossed_above/below", t))
        assert vcount == count, (vcount, count)
    except ImportError:
        pass
    for name, t in rows:
        print(f"{name}: {t:.4f} s, {n / t / 1e6:.1f} million bars/s")
    print(f"SMA-cross signals: {count}")


if __name__ == "__main__":
    main()

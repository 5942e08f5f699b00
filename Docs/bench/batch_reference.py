"""The reference side of `strat bench batch`: the same 1,000-point SMA-cross sweep
(fast 5…54 × slow 20…210 step 10; long only, all-in whole units, no fees,
next-open fills) over the first N bars of the CSV `strat bench backtest` writes,
in vectorbt (every point a column of one Portfolio.from_signals, 100 columns a
chunk) and in backtesting.py (`Backtest.optimize` over a sample of the points,
timed per point).

    .build/release/strat bench backtest             # writes /tmp/strat-bench/rw_1m.csv
    pip install backtesting vectorbt pandas
    python Docs/bench/batch_reference.py /tmp/strat-bench/rw_1m.csv 100000 [vectorbt] [backtesting]
"""
import resource, sys, time
import numpy as np
import pandas as pd

path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/strat-bench/rw_1m.csv"
bars = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
which = sys.argv[3:] or ["vectorbt", "backtesting"]
points = [(f, s) for f in range(5, 55) for s in range(20, 220, 10)]


def load():
    df = pd.read_csv(path, index_col="time", parse_dates=True, nrows=bars)
    return df.rename(columns=str.capitalize)


try:
    # At module level, so that optimize's worker processes can unpickle it.
    from backtesting import Strategy
    from backtesting.lib import crossover
    from backtesting.test import SMA

    class SmaCross(Strategy):
        fast = 10
        slow = 30

        def init(self):
            self.a = self.I(SMA, self.data.Close, self.fast)
            self.b = self.I(SMA, self.data.Close, self.slow)

        def next(self):
            if crossover(self.a, self.b):
                self.buy()
            elif crossover(self.b, self.a):
                self.position.close()
except ImportError:
    pass


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_vectorbt():
    import vectorbt as vbt
    t = time.perf_counter()
    df = load()
    close, open_ = df["Close"], df["Open"]
    best = (-np.inf, None)
    for start in range(0, len(points), 100):
        chunk = points[start:start + 100]
        fast = vbt.MA.run(close, [f for f, _ in chunk], short_name="fast")
        slow = vbt.MA.run(close, [s for _, s in chunk], short_name="slow")
        entries = fast.ma_crossed_above(slow).to_numpy()
        exits = fast.ma_crossed_below(slow).to_numpy()
        # A signal at a bar's close trades at the next bar's open.
        entries = np.roll(entries, 1, axis=0); entries[0] = False
        exits = np.roll(exits, 1, axis=0); exits[0] = False
        pf = vbt.Portfolio.from_signals(open_, entries, exits, init_cash=10_000, size=np.inf, size_granularity=1, fees=0)
        sharpe = pf.sharpe_ratio().to_numpy()
        k = int(np.nanargmax(sharpe))
        if sharpe[k] > best[0]:
            best = (sharpe[k], chunk[k])
    return time.perf_counter() - t, best


def run_backtesting(sample=20):
    from backtesting import Backtest
    df = load()
    chosen = points[:: len(points) // sample][:sample]
    t = time.perf_counter()
    bt = Backtest(df, SmaCross, cash=10_000, commission=0, finalize_trades=False)
    bt.optimize(fast=sorted({f for f, _ in chosen}), slow=sorted({s for _, s in chosen}),
                constraint=lambda p: (p.fast, p.slow) in chosen, maximize="Sharpe Ratio", max_tries=None)
    secs = time.perf_counter() - t
    return secs / len(chosen)


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore")
    for name in which:
        if name == "vectorbt":
            secs, best = run_vectorbt()
            print(f"vectorbt: {bars} bars x {len(points)} points: {secs:.2f} s, peak memory {peak_mb():.0f} MB, best {best[1]}", flush=True)
        else:
            per = run_backtesting()
            print(f"backtesting.py optimize: {bars} bars: {per:.3f} s a point (sampled), ~{per * len(points):.0f} s for {len(points)} points", flush=True)

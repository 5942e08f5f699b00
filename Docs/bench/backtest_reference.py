"""The reference side of `strat bench backtest`: the same SMA(10)/SMA(30) cross,
long only, all-in whole units, no fees, next-open fills, on the same CSV of one
million one-minute bars, in backtesting.py and vectorbt. Each is timed end to
end (load the CSV, run, stats) as Strat is.

    .build/release/strat bench backtest            # writes /tmp/strat-bench/rw_1m.csv
    pip install backtesting vectorbt pandas
    python Docs/bench/backtest_reference.py /tmp/strat-bench/rw_1m.csv
"""
import sys, time
import numpy as np
import pandas as pd

path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/strat-bench/rw_1m.csv"


def load():
    df = pd.read_csv(path, index_col="time", parse_dates=True)
    return df.rename(columns=str.capitalize)


def run_backtesting():
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import SMA

    class SmaCross(Strategy):
        def init(self):
            self.fast = self.I(SMA, self.data.Close, 10)
            self.slow = self.I(SMA, self.data.Close, 30)

        def next(self):
            if crossover(self.fast, self.slow):
                self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()

    t = time.perf_counter()
    df = load()
    stats = Backtest(df, SmaCross, cash=10_000, commission=0, finalize_trades=False).run()
    return time.perf_counter() - t, stats["# Trades"], stats["Equity Final [$]"]


def run_vectorbt():
    import vectorbt as vbt
    t = time.perf_counter()
    df = load()
    close, open_ = df["Close"], df["Open"]
    fast, slow = vbt.MA.run(close, 10), vbt.MA.run(close, 30)
    entries = fast.ma_crossed_above(slow).to_numpy()
    exits = fast.ma_crossed_below(slow).to_numpy()
    # Signals on a bar's close trade at the next bar's open, in whole units.
    entries = np.roll(entries, 1); entries[0] = False
    exits = np.roll(exits, 1); exits[0] = False
    pf = vbt.Portfolio.from_signals(open_, entries, exits, init_cash=10_000, size=np.inf, size_granularity=1, fees=0)
    final = pf.value().iloc[-1]
    stats = pf.stats()
    return time.perf_counter() - t, int(stats["Total Trades"]), final


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore")
    which = sys.argv[2:] or ["vectorbt", "backtesting"]
    for name in which:
        run = run_vectorbt if name == "vectorbt" else run_backtesting
        secs, trades, final = run()
        print(f"{name}: {secs:.2f} s end to end (first run), {trades} trades, final equity {final:.2f}", flush=True)
        if name == "vectorbt":
            # numba compiles its kernels on the first run; the second shows the steady state.
            secs, trades, final = run()
            print(f"{name}: {secs:.2f} s end to end (second run, compiled)", flush=True)

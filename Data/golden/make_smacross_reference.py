"""backtesting.py 0.6's SmaCross (fast 10, slow 30, long only) on Data/GOOG.csv:
cash 10,000, no commission, default buy() size (all equity, whole shares, sized
at the fill: the next bar's open), finalize_trades=False. Writes its trades and
final equity for the Swift tests (Tests/StratBacktestTests).

    pip install backtesting
    python Data/golden/make_smacross_reference.py
"""
import csv, os
import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

HERE = os.path.dirname(os.path.abspath(__file__))


class SmaCross(Strategy):
    def init(self):
        self.fast = self.I(SMA, self.data.Close, 10)
        self.slow = self.I(SMA, self.data.Close, 30)

    def next(self):
        if crossover(self.fast, self.slow):
            self.buy()
        elif crossover(self.slow, self.fast):
            self.position.close()


df = pd.read_csv(os.path.join(HERE, "..", "GOOG.csv"), index_col="time", parse_dates=True)
df = df.rename(columns=str.capitalize)
stats = Backtest(df, SmaCross, cash=10_000, commission=0, finalize_trades=False).run()
with open(os.path.join(HERE, "goog_smacross_trades.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["entry_time", "entry_price", "exit_time", "exit_price", "qty", "pnl"])
    for t in stats._trades.itertuples():
        w.writerow([t.EntryTime.strftime("%Y-%m-%dT%H:%M:%SZ"), repr(float(t.EntryPrice)),
                    t.ExitTime.strftime("%Y-%m-%dT%H:%M:%SZ"), repr(float(t.ExitPrice)), int(t.Size), repr(float(t.PnL))])
    for t in stats._strategy.trades:   # still open at the end (finalize_trades=False)
        w.writerow([t.entry_time.strftime("%Y-%m-%dT%H:%M:%SZ"), repr(float(t.entry_price)), "", "", int(t.size), ""])
print("final equity", repr(float(stats["Equity Final [$]"])), "trades", stats["# Trades"])

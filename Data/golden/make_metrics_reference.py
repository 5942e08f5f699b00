"""empyrical-reloaded's metrics of the SmaCross equity curve on GOOG
(Data/goog_smacross_equity.csv, next-open fills), annualised with 252 periods,
for Tests/StratBacktestTests (Docs/Metrics.md gives the definitions).

    pip install empyrical-reloaded pandas
    python Data/golden/make_metrics_reference.py
"""
import csv, os
import empyrical as ep
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
eq = pd.read_csv(os.path.join(HERE, "..", "goog_smacross_equity.csv"), index_col="time", parse_dates=True)["equity_next_open"]
r = eq.pct_change().dropna()
values = {
    "total_return": ep.cum_returns_final(r),
    "cagr": ep.annual_return(r, annualization=252),
    "annual_volatility": ep.annual_volatility(r, annualization=252),
    "sharpe": ep.sharpe_ratio(r, annualization=252),
    "sortino": ep.sortino_ratio(r, annualization=252),
    "max_drawdown": ep.max_drawdown(r),
    "calmar": ep.calmar_ratio(r, annualization=252),
}
with open(os.path.join(HERE, "goog_smacross_metrics.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["metric", "value"])
    for k, v in values.items():
        w.writerow([k, repr(float(v))])
print(values)

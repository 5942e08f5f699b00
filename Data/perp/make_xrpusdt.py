"""Writes the XRPUSDT perpetual example data (Data/perp/) from freqtrade's test data.

Sources, in a freqtrade checkout (commit c9ae5e1e9, 2024-10-24), tests/testdata/futures/:
  XRP_USDT_USDT-5m-futures.feather     Binance USDⓈ-M XRPUSDT 5m klines, 2021-11-15 .. 2021-11-21
  XRP_USDT_USDT-1h-mark.feather        Binance markPriceKlines 1h, 2021-11-15 06:00 .. 2021-11-19 09:00
  XRP_USDT_USDT-8h-funding_rate.feather Binance fundingRate history (rate in `open`), from 2021-11-18
and freqtrade/exchange/binance_leverage_tiers.json at its first commit (a99cf2eee, 2022-02-05).

Output: the hours the mark prices cover. Bars are the 5m klines summed to 1h (open of the
first, high/low over all twelve, close of the last, volume summed). Binance stamps a funding
settlement a few milliseconds after the hour (1637193600017); the times are cut to the second.

    python Data/perp/make_xrpusdt.py /path/to/freqtrade      (needs pandas and pyarrow)
"""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ft = Path(sys.argv[1])
data = ft / "tests/testdata/futures"
out = Path(__file__).parent


def iso(ts):
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def num(x, digits):
    return f"{x:.{digits}f}".rstrip("0").rstrip(".")


mark = pd.read_feather(data / "XRP_USDT_USDT-1h-mark.feather").set_index("date")
five = pd.read_feather(data / "XRP_USDT_USDT-5m-futures.feather").set_index("date")
hours = five.resample("1h").agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
hours = hours.loc[mark.index[0]:mark.index[-1]]
assert len(hours) == len(mark) and (hours.index == mark.index).all()
assert (five.loc[mark.index[0]:].groupby(pd.Grouper(freq="1h")).size().loc[:mark.index[-1]] == 12).all()

with open(out / "XRPUSDT-1h.csv", "w") as f:
    f.write("time,open,high,low,close,volume\n")
    for t, r in hours.iterrows():
        f.write(f"{iso(t)},{num(r.open, 5)},{num(r.high, 5)},{num(r.low, 5)},{num(r.close, 5)},{num(r.volume, 1)}\n")
with open(out / "XRPUSDT-mark-1h.csv", "w") as f:
    f.write("time,open,high,low,close,volume\n")
    for t, r in mark.iterrows():
        f.write(f"{iso(t)},{num(r.open, 5)},{num(r.high, 5)},{num(r.low, 5)},{num(r.close, 5)},0\n")

funding = pd.read_feather(data / "XRP_USDT_USDT-8h-funding_rate.feather")
funding["time"] = funding["date"].dt.floor("s")
funding = funding[(funding.time >= hours.index[0]) & (funding.time <= hours.index[-1] + pd.Timedelta(hours=1))]
with open(out / "XRPUSDT-funding.csv", "w") as f:
    f.write("time,rate\n")
    for _, r in funding.iterrows():
        f.write(f"{iso(r.time)},{num(r.open, 8)}\n")

tiers = json.loads(subprocess.check_output(
    ["git", "-C", str(ft), "show", "a99cf2eee:freqtrade/exchange/binance_leverage_tiers.json"]))["XRP/USDT"]
rows = []
for t in tiers:
    i = t["info"]
    rows.append("    " + json.dumps({k: (float(i[k]) if "." in i[k] else int(i[k])) for k in
                                     ["bracket", "initialLeverage", "notionalCap", "notionalFloor", "maintMarginRatio", "cum"]},
                                    separators=(",", ":")).replace(".0,", ",").replace(".0}", "}"))
with open(out / "binance_usdm_xrpusdt_2022-02-05.json", "w") as f:
    f.write('[\n  {"symbol":"XRPUSDT","liquidationFee":0.0125,"brackets":[\n' + ",\n".join(rows) + "\n  ]}\n]\n")

#!/usr/bin/env python3
"""Writes 1 MB strategies of the shapes that once crashed or ran away (issue 11),
for timing `strat check` on each (Docs/Performance.md, "Hostile sources").

    python3 Docs/bench/hostile_sources.py /tmp/hostile
    for f in /tmp/hostile/*.strat; do /usr/bin/time -f "%e s %M KB $f" .build/release/strat check "$f" >/dev/null 2>&1; done
"""
import os
import sys

SIZE = 1 << 20


def strategy(body):
    return "strategy S {\n  timeframe 1d\n" + body + "\n  when c {\n    enter long\n  }\n}\n"


def fill(make, size=SIZE):
    """Lines from make(i) until the body reaches `size` bytes."""
    lines, total, i = [], 0, 0
    while total < size:
        line = make(i)
        lines.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(lines)


def shapes():
    terms = SIZE // 8
    yield "sum", strategy("  let s = " + " + ".join(["close"] * terms) + "\n  let c = s > open")
    yield "and", strategy("  let c = " + " and ".join(["close > open"] * (SIZE // 17)))
    yield "lets", strategy("  let v0 = close\n" + fill(lambda i: f"  let v{i + 1} = sma(v{i}, 10) * 0.5 + ema(close, {i % 50 + 2}) / 2")
                           + "\n  let c = close > open")
    yield "rules", strategy("  let c = close > open\n" + fill(lambda i: f"  when close > open + {i} and rsi(close, 14) < {i % 100} {{ enter long size 1% }}"))
    yield "fns", strategy("  fn g0(x) = x\n" + fill(lambda i: f"  fn g{i + 1}(x) = g{i}(x) * 2 + sma(x, {i % 30 + 2})")
                          + "\n  let c = g100(close) > open")
    yield "calls", strategy("  fn z(x, n) = (x - sma(x, n)) / stddev(x, n)\n"
                            + fill(lambda i: f"  let z{i} = z(close + {i}, {i % 200 + 2})") + "\n  let c = z0 > 0")
    yield "doubling", strategy("  fn f0(x) = x\n" + "".join(f"  fn f{i}(x) = f{i - 1}(x + 1) + f{i - 1}(x + 2)\n" for i in range(1, 40))
                               + fill(lambda i: f"  // {'x' * 60}") + "\n  let c = f39(close) > open")
    yield "nested", strategy(fill(lambda i: f"  let n{i} = " + "(" * 250 + "close" + ")" * 250 + " > open") + "\n  let c = close > open")
    yield "too-deep", strategy("  let c = " + "(" * (SIZE // 2) + "close > open" + ")" * (SIZE // 2))
    yield "unclosed", strategy("  let c = " + "(" * SIZE)
    yield "undefined", strategy(fill(lambda i: f"  let u{i} = clsoe{i} + opne{i}") + "\n  let c = close > open")
    yield "junk", "strategy S {\n" + "#" * SIZE + "\n}\n"
    yield "strategies", fill(lambda i: f"strategy S{i} {{ }}")
    yield "one-line", "strategy S { " + " ".join(f"let v{i} = close + {i}" for i in range(SIZE // 24)) + " let c = close > open when c { enter long } }\n"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "hostile"
    os.makedirs(out, exist_ok=True)
    for name, text in shapes():
        with open(os.path.join(out, name + ".strat"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

import StratIR
import StratSema
import StratSyntax
import Testing

/// Each case is a snippet with `‸` placed exactly where the diagnostic must point.
/// Snippets without `strategy` are wrapped in a strategy with `market spot` and
/// `timeframe 1h`. Each case must produce its code at that line and column, and no
/// other error (one mistake, one diagnostic).
struct ErrorCase: CustomStringConvertible, Sendable {
    var code: String
    var source: String
    var description: String { "\(code): \(source.prefix(60))" }
    init(_ code: String, _ source: String) { self.code = code; self.source = source }
}

let errorCases: [ErrorCase] = [
    // Lexical
    ErrorCase("E0001", "let a = close ‸# 2"),
    ErrorCase("E0001", "let a = close + ‸€"),
    ErrorCase("E0002", "let a = close\n‸/* never closed"),
    ErrorCase("E0003", "let a = close * 10‸k"),
    ErrorCase("E0003", "input n = 5‸q"),
    ErrorCase("E0004", "let a = close * ‸1. + 2"),
    ErrorCase("E0004", "let a = close * ‸.5"),
    ErrorCase("E0004", "when close > open { enter long expire after ‸1.5h }"),
    ErrorCase("E0005", "when close > open ‸&& close > close[1] { enter long }"),
    ErrorCase("E0005", "when close > open ‸|| close > close[1] { enter long }"),
    ErrorCase("E0005", "when ‸!(close > open) { enter long }"),
    ErrorCase("E0006", "let a = close@‸$ + 1"),
    ErrorCase("E0007", "‸strategy T {\n  // «x×16777216»\n  when close > open { enter long }\n}"),
    // Syntax
    ErrorCase("E0101", "let a ‸close"),
    ErrorCase("E0101", "input fast ‸10"),
    ErrorCase("E0101", "let x = sma(close, 10‸\nlet y = 2"),
    ErrorCase("E0101", "input ‸size = 3"),
    ErrorCase("E0101", "fn f(a, b) ‸a + b"),
    ErrorCase("E0101", "when close > open { enter ‸sideways }"),
    ErrorCase("E0101", "when close > open { cancel ‸everything }"),
    ErrorCase("E0101", "strategy T {\n  market perp\n  when close > open { enter long at stop close + 1 trigger ‸index }\n}"),
    ErrorCase("E0101", "input n = 10 in 5‸..50"),
    ErrorCase("E0102", "let a = close + ‸* 2"),
    ErrorCase("E0102", "let a =‸\nlet b = 2"),
    ErrorCase("E0102", "let a = (close + ‸)"),
    ErrorCase("E0103", "‸enter long"),
    ErrorCase("E0103", "‸fast = 10"),
    ErrorCase("E0103", "‸42"),
    ErrorCase("E0104", "strategy T {\n  market spot\n  when close > open { enter long }‸"),
    ErrorCase("E0104", "when close > open {\n  enter long‸\nlet x = 1"),
    ErrorCase("E0105", "when open < close ‸< high { enter long }"),
    ErrorCase("E0106", "when close > open { ‸buy long }"),
    ErrorCase("E0107", "when close > open { enter long size 10% ‸quickly }"),
    ErrorCase("E0108", "risk { ‸min drawdown 10% }"),
    ErrorCase("E0108", "risk { max ‸drawup 10% then halt }"),
    ErrorCase("E0109", "‸let a = 1\nstrategy T {\n  when close > open { enter long }\n}"),
    ErrorCase("E0110", "when close > open { enter long stop close - 1 ‸stop close - 2 }"),
    ErrorCase("E0111", "when close > open { enter long tif ‸forever }"),
    ErrorCase("E0112", "when close ‸= open { enter long }"),
    ErrorCase("E0113", "strategy T {\n  market ‸futures\n  when close > open { enter long }\n}"),
    ErrorCase("E0114", "let a = «(×256»‸close«)×256» > open\nwhen a { enter long }"),
    ErrorCase("E0008", "when close > open { enter long }\ntest ‸\"never closed {"),
    ErrorCase("E0009", "when time > ‸2005-02-30 { enter long }"),
    ErrorCase("E0009", "when time > ‸1969-12-31 { enter long }"),
    ErrorCase("E0115", "when close > open { enter long }\ntest \"t\" {\n  bars \"x.csv\"\n  ‸trades == 3\n}"),
    ErrorCase("E0701", "when close > open { enter long }\ntest ‸\"t\" { expect trades == 0 }"),
    ErrorCase("E0701", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; ‸bars \"y.csv\" }"),
    ErrorCase("E0702", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\" from 2006-01-01 to ‸2005-01-01 }"),
    ErrorCase("E0702", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\" from ‸10 }"),
    ErrorCase("E0703", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect ‸close > open }"),
    ErrorCase("E0703", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect ‸trades }"),
    ErrorCase("E0704", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect trade(1).‸price == 10 }"),
    ErrorCase("E0704", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect ‸trade(0).pnl > 0 }"),
    ErrorCase("E0705", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect trade(1).entry_time == ‸10 }"),
    ErrorCase("E0705", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect trade(1).entry_time == ‸2005-01-03 + (time - time[1]) }"),
    ErrorCase("E0705", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect ‸close always }"),
    ErrorCase("E0705", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect rsi(close, 14) between 0 and ‸volume always }"),
    ErrorCase("E0705", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect trades == ‸close }"),
    ErrorCase("E0706", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect no position while ‸inSession[1] }"),
    ErrorCase("E0706", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect ‸nz(inSession, false) always }"),
    ErrorCase("E0706", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; expect close between 0 and ‸(if inSession then close else open)@4h always }"),
    ErrorCase("E0207", "when close > open { enter long }\ntest \"t\" { bars \"x.csv\"; session \"24/7\"; ‸session \"24/7\" }"),
    ErrorCase("E0114", "when «not ×256»‸close > open { enter long }"),
    ErrorCase("E0114", "let a = close«@1h×255»‸@1h > open\nwhen a { enter long }"),
    ErrorCase("E0114", "let a = close«[1]×254»[‸1][1] > open\nwhen a { enter long }"),
    ErrorCase("E0114", "let a = «max(×256»‸close«, open)×256» > open\nwhen a { enter long }"),
    ErrorCase("E0114", "let a = «if true then ×255»if ‸true then close > open« else false×256»\nwhen a { enter long }"),
    // Names
    ErrorCase("E0201", "let a = ‸clsoe + 1"),
    ErrorCase("E0201", "let a = ‸foo(close)"),
    ErrorCase("E0201", "when ‸signal { enter long }"),
    ErrorCase("E0202", "let a = close\nlet ‸a = open"),
    ErrorCase("E0202", "input n = 3\nlet ‸n = 4"),
    ErrorCase("E0202", "fn f(x, ‸x) = x"),
    ErrorCase("E0203", "let a = ‸b * 2\nlet b = close"),
    ErrorCase("E0204", "fn f(x) = ‸f(x) + 1\nlet a = f(close)"),
    ErrorCase("E0205", "let a = sma(close‸)"),
    ErrorCase("E0205", "let a = sma(close, 10, ‸3)"),
    ErrorCase("E0205", "fn mid(a, b) = (a + b) / 2\nlet x = ‸mid(close)"),
    ErrorCase("E0205", "let a = minute(‸)"),
    ErrorCase("E0206", "let a = sma(close, ‸window: 10)"),
    ErrorCase("E0206", "strategy T {\n  market perp(‸lev: 3x)\n  when close > open { enter long }\n}"),
    ErrorCase("E0206", "strategy T {\n  market spot(‸mode: hedge)\n  when close > open { enter long }\n}"),
    ErrorCase("E0207", "strategy T {\n  market spot\n  ‸market spot\n  when close > open { enter long }\n}"),
    ErrorCase("E0207", "strategy T {\n  timeframe 1h\n  ‸timeframe 4h\n  when close > open { enter long }\n}"),
    ErrorCase("E0209", "let ‸close = open"),
    ErrorCase("E0209", "fn ‸ema(x) = x"),
    ErrorCase("E0210", "let a = close\nlet b = ‸a(1)"),
    ErrorCase("E0211", "let a = ‸sma + 1"),
    ErrorCase("E0211", "fn f(x) = x\nlet a = ‸f"),
    ErrorCase("E0212", "let a = close.‸upper"),
    ErrorCase("E0212", "let a = macd(close, 12, 26, 9).‸histogram"),
    ErrorCase("E0213", "let (‸a, b) = bbands(close, 20, 2)"),
    ErrorCase("E0213", "let (a, b) = ‸close"),
    ErrorCase("E0214", "strategy T {\n  when close > open { enter long }\n}\nstrategy ‸T {\n  when close > open { enter long }\n}"),
    ErrorCase("E0215", "let a = ‸macd(close, 12, 26, 9) > 0"),
    ErrorCase("E0216", "fn f0(x) = «(×250»x«)×250»\nfn f1(x) = «(×250»f0(x)«)×250»\nfn f2(x) = «(×250»f1(x)«)×250»\nfn f3(x) = «(×250»f2(x)«)×250»\nfn f4(x) = «(×250»f3(x)«)×250»\nlet a = ‸f4(close) > open\nwhen a { enter long }"),
    ErrorCase("E0216", "fn f0(x) = x\n" + (1..<600).map { "fn f\($0)(x) = (f\($0 - 1)(x) * 2)\n" }.joined() + "let a = ‸f599(close) > open\nwhen a { enter long }"),
    ErrorCase("E0217", "fn f0(x) = x\nfn f1(x) = f0(x + 1) + f0(x + 2) + f0(x + 3) + f0(x + 4) + f0(x + 5) + f0(x + 6) + f0(x + 7) + f0(x + 8)\nfn f2(x) = f1(x + 1) + f1(x + 2) + f1(x + 3) + f1(x + 4) + f1(x + 5) + f1(x + 6) + f1(x + 7) + f1(x + 8)\nfn f3(x) = f2(x + 1) + f2(x + 2) + f2(x + 3) + f2(x + 4) + f2(x + 5) + f2(x + 6) + f2(x + 7) + f2(x + 8)\nfn f4(x) = f3(x + 1) + f3(x + 2) + f3(x + 3) + f3(x + 4) + f3(x + 5) + f3(x + 6) + f3(x + 7) + f3(x + 8)\nfn f5(x) = f4(x + 1) + f4(x + 2) + f4(x + 3) + f4(x + 4) + f4(x + 5) + f4(x + 6) + f4(x + 7) + f4(x + 8)\nfn f6(x) = f5(x + 1) + f5(x + 2) + f5(x + 3) + f5(x + 4) + f5(x + 5) + f5(x + 6) + f5(x + 7) + f5(x + 8)\nfn f7(x) = f6(x + 1) + f6(x + 2) + f6(x + 3) + f6(x + 4) + f6(x + 5) + f6(x + 6) + f6(x + 7) + f6(x + 8)\nlet a = ‸f7(close) > open\nwhen a { enter long }"),
    // Types
    ErrorCase("E0301", "let bad = close ‸+ volume"),
    ErrorCase("E0301", "let bad = close ‸- 2%"),
    ErrorCase("E0301", "input k = 2\nlet bad = close ‸+ k"),
    ErrorCase("E0302", "let bad = close ‸* close"),
    ErrorCase("E0302", "let bad = volume ‸* volume"),
    ErrorCase("E0303", "let bad = 1 ‸/ close"),
    ErrorCase("E0303", "let bad = close ‸/ volume"),
    ErrorCase("E0304", "when close ‸> volume { enter long }"),
    ErrorCase("E0304", "when close ‸> 2% { enter long }"),
    ErrorCase("E0305", "when ‸close { enter long }"),
    ErrorCase("E0305", "when close > open and ‸volume { enter long }"),
    ErrorCase("E0305", "let a = not ‸close"),
    ErrorCase("E0305", "let a = if ‸close then 1 else 2"),
    ErrorCase("E0306", "let a = ema(close, ‸1.5)"),
    ErrorCase("E0306", "let a = vwap(‸5)"),
    ErrorCase("E0306", "let a = crossover(close, ‸volume)"),
    ErrorCase("E0306", "let a = barssince(‸close)"),
    ErrorCase("E0306", "let a = sma(‸close > open, 10)"),
    ErrorCase("E0307", "let a = if close > open then ‸close else volume"),
    ErrorCase("E0308", "input fast = ‸60 in 5...50"),
    ErrorCase("E0308", "input fast = 10 in ‸50...5"),
    ErrorCase("E0308", "input fast = 10 in 5...50 step ‸0"),
    ErrorCase("E0310", "let x: Price = ‸volume"),
    ErrorCase("E0310", "input x: Price = ‸true"),
    ErrorCase("E0311", "let x: ‸Dollars = close"),
    ErrorCase("E0312", "let a = sqrt(‸close)"),
    ErrorCase("E0312", "let a = log(‸volume)"),
    ErrorCase("E0313", "let a = -‸(close > open)"),
    ErrorCase("E0313", "let a = (close > open) ‸+ 1"),
    ErrorCase("E0314", "strategy T {\n  market perp(leverage: ‸500x)\n  when close > open { enter long }\n}"),
    ErrorCase("E0314", "strategy T {\n  market perp(margin: ‸partial)\n  when close > open { enter long }\n}"),
    ErrorCase("E0314", "strategy T {\n  market perp(leverage: ‸close)\n  when close > open { enter long }\n}"),
    ErrorCase("E0314", "strategy T {\n  market perp(mode: ‸both)\n  when close > open { enter long }\n}"),
    ErrorCase("E0315", "let a = hour(‸close)"),
    ErrorCase("E0315", "let a = dayofweek(‸1)"),
    ErrorCase("E0315", "let a = month(‸1d)"),
    ErrorCase("E0315", "when year(‸time > 2020-01-01) == 2021 { enter long }"),
    // Qualifiers, look-ahead
    ErrorCase("E0401", "let fast = ema(close, 10)\nlet a = ema(close, ‸fast)"),
    ErrorCase("E0401", "let a = sma(close, ‸barssince(close > open))"),
    ErrorCase("E0401", "let a = bbands(close, 20, ‸rsi(close, 14)).upper"),
    ErrorCase("E0402", "let a = sma(close, ‸0)"),
    ErrorCase("E0402", "input n = 5 in 0...10\nlet a = sma(close, ‸n)"),
    ErrorCase("E0402", "let a = sar(‸-0.01, 0.2)"),
    ErrorCase("E0402", "input m = 0.2 in -1...1\nlet a = sar(0.02, ‸m)"),
    ErrorCase("E0402", "let a = supertrend(10, ‸-1).line"),
    ErrorCase("E0402", "let a = vwap(‸0s)"),
    ErrorCase("E0402", "let a = ichimoku(9, ‸0, 52).tenkan"),
    ErrorCase("E0401", "let a = vwap(‸time - time[1])"),
    ErrorCase("E0402", "let a = supertrend(‸1, 3).line"),
    ErrorCase("E0402", "let a = keltner(‸1, 10, 2).middle"),
    ErrorCase("E0403", "let a = close[‸barssince(close > open)]"),
    ErrorCase("E0404", "let a = close[‸-1]"),
    ErrorCase("E0404", "input k = 1 in -2...5\nlet a = close[‸k]"),
    ErrorCase("E0405", "let a = close[‸1.5]"),
    ErrorCase("E0405", "let a = close[‸2%]"),
    ErrorCase("E0406", "input fast = ‸sma(close, 3)"),
    ErrorCase("E0406", "input a = 5\ninput b = ‸a"),
    ErrorCase("E0407", "let a = close@‸15m"),
    ErrorCase("E0407", "let a = close@‸90m"),
    ErrorCase("E0408", "let a = close@‸close"),
    ErrorCase("E0409", "strategy T {\n  timeframe ‸0h\n  when close > open { enter long }\n}"),
    ErrorCase("E0409", "strategy T {\n  timeframe ‸hourly\n  when close > open { enter long }\n}"),
    ErrorCase("E0410", "let a = sma(close, ‸1000001) > open\nwhen a { enter long }"),
    ErrorCase("E0410", "let a = sma(close, ‸9223372036854775807) > open\nwhen a { enter long }"),
    ErrorCase("E0410", "input n = 2000000\nlet a = highest(high, ‸n) > open\nwhen a { enter long }"),
    ErrorCase("E0410", "input n = 20 in 10...2000000\nlet a = ema(close, ‸n) > open\nwhen a { enter long }"),
    ErrorCase("E0410", "input n = 600000\nlet a = sma(close, ‸n * 2) > open\nwhen a { enter long }"),
    ErrorCase("E0410", "let a = close[‸9223372036854775807] > open\nwhen a { enter long }"),
    ErrorCase("E0410", "input k = 2000000\nlet a = close[‸k] > open\nwhen a { enter long }"),
    ErrorCase("E0410", "when close > open { enter long at limit close - 1 expire after ‸1000000000000 bars }"),
    ErrorCase("E0410", "input n = 5 in 1...10000000\nwhen close > open { enter long at limit close - 1 expire after ‸n bars }"),
    ErrorCase("E0410", "when close > open { enter long at limit close - 1 expire after ‸15000000w }"),
    ErrorCase("E0410", "strategy T {\n  timeframe ‸6000w\n  when close > open { enter long }\n}"),
    ErrorCase("E0410", "let a = close@‸6000w > open\nwhen a { enter long }"),
    // Orders
    ErrorCase("E0501", "when close > open {\n  enter long\n    stop ‸close + 2 * atr(14)\n}"),
    ErrorCase("E0501", "strategy T {\n  market perp\n  when close > open {\n    enter short\n      stop ‸close - 10\n  }\n}"),
    ErrorCase("E0501", "when close > open {\n  enter long at limit 100\n    stop ‸105\n}"),
    ErrorCase("E0501", "when close > open {\n  enter long\n    stop ‸-2%\n}"),
    ErrorCase("E0502", "when close > open {\n  enter long\n    take ‸close - atr(14)\n}"),
    ErrorCase("E0502", "when close > open {\n  enter long at limit 100\n    take ‸95\n}"),
    ErrorCase("E0503", "when close > open { enter long }\nwhen close < open { ‸exit short }"),
    ErrorCase("E0503", "when close < open { ‸exit long }"),
    ErrorCase("E0504", "when close < open { ‸enter short }"),
    ErrorCase("E0505", "when close > open {\n  ‸enter long at limit close - 1\n    tif ioc\n    expire after 3 bars\n}"),
    ErrorCase("E0505", "when close > open {\n  ‸enter long at limit close - 1\n    tif gtd\n}"),
    ErrorCase("E0506", "when close > open { enter long at stop 100 limit ‸95 }"),
    ErrorCase("E0507", "when close > open { enter long size ‸close }"),
    ErrorCase("E0507", "when close > open { enter long size ‸5 }"),
    ErrorCase("E0507", "let a = ‸qty(3)"),
    ErrorCase("E0508", "when close > open { enter long size qty(‸close) }"),
    ErrorCase("E0508", "when close > open { enter long size risk(‸2, stop: close - 1) }"),
    ErrorCase("E0508", "when close > open { enter long size ‸0% }"),
    ErrorCase("E0509", "when close > open { enter long at limit ‸volume }"),
    ErrorCase("E0509", "when close > open {\n  enter long\n    stop ‸volume\n}"),
    ErrorCase("E0510", "when close > open {\n  enter long\n    trail ‸volume\n}"),
    ErrorCase("E0510", "when close > open {\n  enter long\n    trail ‸0\n}"),
    ErrorCase("E0511", "when close > open {\n  enter long at limit close - 1\n    expire after ‸close\n}"),
    ErrorCase("E0511", "when close > open {\n  enter long at limit close - 1\n    expire after ‸3\n}"),
    ErrorCase("E0512", "when close > open {\n  enter long\n    ‸post only\n}"),
    ErrorCase("E0513", "when close > open { enter long }\nwhen close < open { exit long size ‸notional(100) }"),
    ErrorCase("E0513", "when close > open { enter long }\nwhen close < open { exit long size ‸close }"),
    ErrorCase("E0514", "when close > open { enter long size ‸risk(1%) }"),
    ErrorCase("E0515", "when close > open { enter long at stop ‸close - 10 }"),
    ErrorCase("E0516", "when close > open { enter long at limit close - 1 size qty(10) display ‸0 }"),
    ErrorCase("E0516", "when close > open { enter long at limit close - 1 size qty(10) display ‸2% }"),
    ErrorCase("E0517", "pyramiding ‸1.5\nwhen close > open { enter long }"),
    ErrorCase("E0517", "pyramiding ‸close\nwhen close > open { enter long }"),
    ErrorCase("E0518", "when close > open { enter long ‸trigger mark }"),
    ErrorCase("E0518", "strategy T {\n  market perp\n  when close > open { enter long at limit close - 1 ‸trigger last }\n}"),
    ErrorCase("E0518", "strategy T {\n  market perp\n  when close > open { enter long take close + 5 ‸trigger mark }\n}"),
    // Risk
    ErrorCase("E0601", "when close > open { enter long }\nrisk {\n  max drawdown ‸20 then halt\n}"),
    ErrorCase("E0601", "when close > open { enter long }\nrisk {\n  max leverage ‸5%\n}"),
    ErrorCase("E0602", "when close > open { enter long }\nrisk {\n  max leverage 2x\n  ‸max leverage 3x\n}"),
    ErrorCase("E0603", "when close > open { enter long }\nrisk {\n  max drawdown ‸150% then halt\n}"),
    ErrorCase("E0603", "when close > open { enter long }\nrisk {\n  max correlation ‸1.5 over 30 bars\n}"),
    ErrorCase("E0604", "when close > open { enter long }\nrisk {\n  max position ‸close / open - 1 of equity\n}"),
]

/// Warnings, asserted the same way.
let warningCases: [ErrorCase] = [
    ErrorCase("W0001", "let ‸unused = close\nwhen close > open { enter long }"),
    ErrorCase("W0002", "input ‸n = 3\nwhen close > open { enter long }"),
    ErrorCase("W0003", "strategy ‸T {\n  market spot\n}"),
    ErrorCase("W0004", "when ‸true { enter long }"),
    ErrorCase("W0005", "fn ‸f(x) = x\nwhen close > open { enter long }"),
    ErrorCase("W0006", "when close > open { enter long }\nrisk {\n  ‸max correlation 0.7 over 30 bars\n}"),
    ErrorCase("W0007", "when close > open { enter long }\nrisk {\n  ‸max leverage 3x\n}"),
    ErrorCase("W0008", "when close > open { enter long stop close - 10 ‸trigger mark }"),
    ErrorCase("W0008", "when close > open { enter long at stop close + 10 ‸trigger last }"),
]

let marker: Character = "‸"

/// Expands `«text×n»` into n copies of `text`: a limit's example (257 nested
/// parentheses, a 16 MB file) stays readable in the source and in the docs.
func expandRepetitions(_ s: String) -> String {
    var out = "", rest = Substring(s)
    while let open = rest.firstIndex(of: "«"), let close = rest[open...].firstIndex(of: "»"),
          let times = rest[open..<close].lastIndex(of: "×"), let n = Int(rest[rest.index(after: times)..<close]) {
        out += rest[..<open]
        out += String(repeating: String(rest[rest.index(after: open)..<times]), count: n)
        rest = rest[rest.index(after: close)...]
    }
    return out + rest
}

/// Wraps a snippet and finds the marker's 1-based line and column.
func prepare(_ c: ErrorCase) -> (text: String, line: Int, column: Int) {
    var src = expandRepetitions(c.source)
    if !src.contains("strategy") {
        let body = src.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        src = "strategy T {\n  market spot\n  timeframe 1h\n\(body)\n}\n"
    }
    var line = 1, column = 1
    for ch in src {
        if ch == marker { break }
        if ch == "\n" { line += 1; column = 1 } else { column += 1 }
    }
    return (src.replacingOccurrences(of: String(marker), with: ""), line, column)
}

@Suite struct DiagnosticCases {
    @Test("error cases", arguments: errorCases + warningCases)
    func diagnosticAtMarker(_ c: ErrorCase) {
        let (text, line, column) = prepare(c)
        let file = SourceFile(name: "case.strat", text: text)
        let result = Compiler.compile(file)
        let found = result.diagnostics.map { d -> (String, Int, Int) in
            let (l, col) = file.lineColumn(of: d.range.start)
            return (d.code.rawValue, l, col)
        }
        #expect(found.contains { $0 == (c.code, line, column) },
                "expected \(c.code) at \(line):\(column), got \(found.map { "\($0.0)@\($0.1):\($0.2)" })\n\(text)")
        if c.code.hasPrefix("E") {
            let others = result.diagnostics.filter { $0.severity == .error && $0.code.rawValue != c.code }
            #expect(others.isEmpty, "follow-on errors: \(others.map { "\($0.code.rawValue) \($0.message)" })\n\(text)")
        }
    }

    @Test func atLeastEightyErrorCases() {
        #expect(errorCases.count >= 80)
    }

    @Test func everyCodeHasACase() {
        let covered = Set((errorCases + warningCases).map(\.code))
        let missing = DiagnosticCode.allCases.map(\.rawValue).filter { !covered.contains($0) }
        #expect(missing.isEmpty, "codes with no test case: \(missing)")
    }
}

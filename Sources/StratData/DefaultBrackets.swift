import Foundation
import StratMarket

/// The leverage brackets a backtest uses for a symbol when neither
/// `--brackets FILE.json` nor the store has any: Binance USDⓈ-M BTCUSDT and
/// ETHUSDT as published from 2024-05-30 (Data/brackets/binance_usdm_2024-05-30.json,
/// whose origin Data/README.md gives), with their liquidation fee rate. The text
/// is the file's, byte for byte (a test compares them), so the binary needs no
/// Data/ directory beside it.
public enum DefaultBrackets {
    /// Where the table comes from, for the notes a backtest prints.
    public static let file = "Data/brackets/binance_usdm_2024-05-30.json"
    /// 2024-05-30T00:00:00Z.
    public static let validFrom: Int64 = 1_717_027_200_000

    public static let json = #"""
[
  {"symbol":"BTCUSDT","liquidationFee":0.0125,"brackets":[
    {"bracket":1,"initialLeverage":125,"notionalCap":50000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0},
    {"bracket":2,"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50},
    {"bracket":3,"initialLeverage":75,"notionalCap":3000000,"notionalFloor":600000,"maintMarginRatio":0.0065,"cum":950},
    {"bracket":4,"initialLeverage":50,"notionalCap":12000000,"notionalFloor":3000000,"maintMarginRatio":0.01,"cum":11450},
    {"bracket":5,"initialLeverage":25,"notionalCap":70000000,"notionalFloor":12000000,"maintMarginRatio":0.02,"cum":131450},
    {"bracket":6,"initialLeverage":20,"notionalCap":100000000,"notionalFloor":70000000,"maintMarginRatio":0.025,"cum":481450},
    {"bracket":7,"initialLeverage":10,"notionalCap":230000000,"notionalFloor":100000000,"maintMarginRatio":0.05,"cum":2981450},
    {"bracket":8,"initialLeverage":5,"notionalCap":480000000,"notionalFloor":230000000,"maintMarginRatio":0.1,"cum":14481450},
    {"bracket":9,"initialLeverage":4,"notionalCap":600000000,"notionalFloor":480000000,"maintMarginRatio":0.125,"cum":26481450},
    {"bracket":10,"initialLeverage":3,"notionalCap":800000000,"notionalFloor":600000000,"maintMarginRatio":0.15,"cum":41481450},
    {"bracket":11,"initialLeverage":2,"notionalCap":1200000000,"notionalFloor":800000000,"maintMarginRatio":0.25,"cum":121481450},
    {"bracket":12,"initialLeverage":1,"notionalCap":1800000000,"notionalFloor":1200000000,"maintMarginRatio":0.5,"cum":421481450}
  ]},
  {"symbol":"ETHUSDT","liquidationFee":0.0125,"brackets":[
    {"bracket":1,"initialLeverage":125,"notionalCap":50000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0},
    {"bracket":2,"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50},
    {"bracket":3,"initialLeverage":75,"notionalCap":3000000,"notionalFloor":600000,"maintMarginRatio":0.0065,"cum":950},
    {"bracket":4,"initialLeverage":50,"notionalCap":12000000,"notionalFloor":3000000,"maintMarginRatio":0.01,"cum":11450},
    {"bracket":5,"initialLeverage":25,"notionalCap":50000000,"notionalFloor":12000000,"maintMarginRatio":0.02,"cum":131450},
    {"bracket":6,"initialLeverage":20,"notionalCap":65000000,"notionalFloor":50000000,"maintMarginRatio":0.025,"cum":381450},
    {"bracket":7,"initialLeverage":10,"notionalCap":150000000,"notionalFloor":65000000,"maintMarginRatio":0.05,"cum":2006450},
    {"bracket":8,"initialLeverage":5,"notionalCap":320000000,"notionalFloor":150000000,"maintMarginRatio":0.1,"cum":9506450},
    {"bracket":9,"initialLeverage":4,"notionalCap":400000000,"notionalFloor":320000000,"maintMarginRatio":0.125,"cum":17506450},
    {"bracket":10,"initialLeverage":3,"notionalCap":530000000,"notionalFloor":400000000,"maintMarginRatio":0.15,"cum":27506450},
    {"bracket":11,"initialLeverage":2,"notionalCap":800000000,"notionalFloor":530000000,"maintMarginRatio":0.25,"cum":80506450},
    {"bracket":12,"initialLeverage":1,"notionalCap":1200000000,"notionalFloor":800000000,"maintMarginRatio":0.5,"cum":280506450}
  ]}
]
"""#

    /// The shipped tables, parsed once.
    public static let entries: [BracketFile.Entry] = {
        // The text is checked by a test; a failure here is a build defect.
        (try? BracketFile.parse(Data(json.utf8), file: file)) ?? []
    }()

    /// The shipped table of `symbol`, if there is one.
    public static func entry(_ symbol: String) -> BracketFile.Entry? {
        entries.first { $0.symbol == symbol }
    }
}

import StratIndicators

/// Every indicator state of one instance, one typed array per kernel type, so
/// the evaluator updates them in place with no existential boxing.
struct KernelStore {
    var sma: [SMA] = [], ema: [EMA] = [], wma: [WMA] = [], dema: [DEMA] = [], tema: [TEMA] = []
    var hma: [HMA] = [], rma: [RMA] = [], kama: [KAMA] = [], vwap: [VWAP] = []
    var rsi: [RSI] = [], cmo: [CMO] = [], momentum: [Momentum] = [], percentrank: [PercentRank] = []
    var stddev: [StdDev] = [], variance: [Variance] = [], zscore: [ZScore] = [], linreg: [LinRegSlope] = []
    var correl: [Correlation] = [], extreme: [Extreme] = []
    var atr: [ATR] = [], natr: [NATR] = [], trange: [TrueRange] = [], bbands: [BollingerBands] = []
    var macd: [MACD] = [], di: [DirectionalIndicator] = [], adx: [ADX] = [], aroon: [Aroon] = []
    var cci: [CCI] = [], willr: [WilliamsR] = [], stoch: [Stochastic] = []
    var obv: [OBV] = [], mfi: [MFI] = []
    var cross: [Cross] = [], trend: [Trend] = [], barssince: [BarsSince] = [], valuewhen: [ValueWhen] = []

    /// Builds the kernels and returns, for each spec, its index within its own type's array.
    init(_ specs: [KernelSpec], localIndex: inout [Int32]) {
        localIndex = []
        func put<T>(_ array: inout [T], _ k: T) -> Int32 { array.append(k); return Int32(array.count - 1) }
        for spec in specs {
            let i: Int32
            switch spec {
            case .sma(let n): i = put(&sma, SMA(length: n))
            case .ema(let n): i = put(&ema, EMA(length: n))
            case .wma(let n): i = put(&wma, WMA(length: n))
            case .dema(let n): i = put(&dema, DEMA(length: n))
            case .tema(let n): i = put(&tema, TEMA(length: n))
            case .hma(let n): i = put(&hma, HMA(length: n))
            case .rma(let n): i = put(&rma, RMA(length: n))
            case .kama(let n): i = put(&kama, KAMA(length: n))
            case .vwap: i = put(&vwap, VWAP())
            case .rsi(let n): i = put(&rsi, RSI(length: n))
            case .cmo(let n): i = put(&cmo, CMO(length: n))
            case .momentum(let kind, let n): i = put(&momentum, Momentum(kind, length: n))
            case .percentrank(let n): i = put(&percentrank, PercentRank(length: n))
            case .stddev(let n): i = put(&stddev, StdDev(length: n))
            case .variance(let n): i = put(&variance, Variance(length: n))
            case .zscore(let n): i = put(&zscore, ZScore(length: n))
            case .linregSlope(let n): i = put(&linreg, LinRegSlope(length: n))
            case .correl(let n): i = put(&correl, Correlation(length: n))
            case .extreme(let n, let isMax): i = put(&extreme, Extreme(length: n, max: isMax))
            case .atr(let n): i = put(&atr, ATR(length: n))
            case .natr(let n): i = put(&natr, NATR(length: n))
            case .trange: i = put(&trange, TrueRange())
            case .bbands(let n, let k): i = put(&bbands, BollingerBands(length: n, k: k))
            case .macd(let f, let s, let g): i = put(&macd, MACD(fast: f, slow: s, signal: g))
            case .di(let n, let plus): i = put(&di, DirectionalIndicator(length: n, plus: plus))
            case .adx(let n): i = put(&adx, ADX(length: n))
            case .aroon(let n): i = put(&aroon, Aroon(length: n))
            case .cci(let n): i = put(&cci, CCI(length: n))
            case .willr(let n): i = put(&willr, WilliamsR(length: n))
            case .stoch(let k, let sk, let d): i = put(&stoch, Stochastic(k: k, smoothK: sk, d: d))
            case .obv: i = put(&obv, OBV())
            case .mfi(let n): i = put(&mfi, MFI(length: n))
            case .cross(let above): i = put(&cross, Cross(above: above))
            case .trend(let n, let rising): i = put(&trend, Trend(length: n, rising: rising))
            case .barssince: i = put(&barssince, BarsSince())
            case .valuewhen(let k): i = put(&valuewhen, ValueWhen(occurrence: k))
            }
            localIndex.append(i)
        }
    }
}

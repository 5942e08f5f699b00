import StratIndicators

/// Every indicator state of one instance: one fixed buffer per kernel type,
/// allocated once, so the evaluator updates kernels in place through a pointer,
/// with no existential boxing, reference counting or copy-on-write checks.
final class KernelStore {
    let sma: UnsafeMutableBufferPointer<SMA>
    let ema: UnsafeMutableBufferPointer<EMA>
    let wma: UnsafeMutableBufferPointer<WMA>
    let dema: UnsafeMutableBufferPointer<DEMA>
    let tema: UnsafeMutableBufferPointer<TEMA>
    let hma: UnsafeMutableBufferPointer<HMA>
    let rma: UnsafeMutableBufferPointer<RMA>
    let kama: UnsafeMutableBufferPointer<KAMA>
    let vwap: UnsafeMutableBufferPointer<VWAP>
    let rsi: UnsafeMutableBufferPointer<RSI>
    let cmo: UnsafeMutableBufferPointer<CMO>
    let momentum: UnsafeMutableBufferPointer<Momentum>
    let percentrank: UnsafeMutableBufferPointer<PercentRank>
    let stddev: UnsafeMutableBufferPointer<StdDev>
    let variance: UnsafeMutableBufferPointer<Variance>
    let zscore: UnsafeMutableBufferPointer<ZScore>
    let linreg: UnsafeMutableBufferPointer<LinearRegression>
    let correl: UnsafeMutableBufferPointer<Correlation>
    let extreme: UnsafeMutableBufferPointer<Extreme>
    let atr: UnsafeMutableBufferPointer<ATR>
    let natr: UnsafeMutableBufferPointer<NATR>
    let trange: UnsafeMutableBufferPointer<TrueRange>
    let bbands: UnsafeMutableBufferPointer<BollingerBands>
    let macd: UnsafeMutableBufferPointer<MACD>
    let di: UnsafeMutableBufferPointer<DirectionalIndicator>
    let adx: UnsafeMutableBufferPointer<ADX>
    let aroon: UnsafeMutableBufferPointer<Aroon>
    let cci: UnsafeMutableBufferPointer<CCI>
    let willr: UnsafeMutableBufferPointer<WilliamsR>
    let stoch: UnsafeMutableBufferPointer<Stochastic>
    let obv: UnsafeMutableBufferPointer<OBV>
    let mfi: UnsafeMutableBufferPointer<MFI>
    let bop: UnsafeMutableBufferPointer<BalanceOfPower>
    let ad: UnsafeMutableBufferPointer<AccumulationDistribution>
    let adosc: UnsafeMutableBufferPointer<ChaikinOscillator>
    let trix: UnsafeMutableBufferPointer<TRIX>
    let ppo: UnsafeMutableBufferPointer<PPO>
    let stochrsi: UnsafeMutableBufferPointer<StochasticRSI>
    let ultosc: UnsafeMutableBufferPointer<UltimateOscillator>
    let sar: UnsafeMutableBufferPointer<ParabolicSAR>
    let donchian: UnsafeMutableBufferPointer<DonchianChannel>
    let keltner: UnsafeMutableBufferPointer<KeltnerChannel>
    let supertrend: UnsafeMutableBufferPointer<Supertrend>
    let ichimoku: UnsafeMutableBufferPointer<Ichimoku>
    let pivots: UnsafeMutableBufferPointer<PivotPoints>
    let cross: UnsafeMutableBufferPointer<Cross>
    let trend: UnsafeMutableBufferPointer<Trend>
    let barssince: UnsafeMutableBufferPointer<BarsSince>
    let valuewhen: UnsafeMutableBufferPointer<ValueWhen>

    /// Builds the kernels and returns, for each spec, its index within its own type's array.
    init(_ specs: [KernelSpec], localIndex: inout [Int32]) {
        localIndex = []
        var sma: [SMA] = []
        var ema: [EMA] = []
        var wma: [WMA] = []
        var dema: [DEMA] = []
        var tema: [TEMA] = []
        var hma: [HMA] = []
        var rma: [RMA] = []
        var kama: [KAMA] = []
        var vwap: [VWAP] = []
        var rsi: [RSI] = []
        var cmo: [CMO] = []
        var momentum: [Momentum] = []
        var percentrank: [PercentRank] = []
        var stddev: [StdDev] = []
        var variance: [Variance] = []
        var zscore: [ZScore] = []
        var linreg: [LinearRegression] = []
        var correl: [Correlation] = []
        var extreme: [Extreme] = []
        var atr: [ATR] = []
        var natr: [NATR] = []
        var trange: [TrueRange] = []
        var bbands: [BollingerBands] = []
        var macd: [MACD] = []
        var di: [DirectionalIndicator] = []
        var adx: [ADX] = []
        var aroon: [Aroon] = []
        var cci: [CCI] = []
        var willr: [WilliamsR] = []
        var stoch: [Stochastic] = []
        var obv: [OBV] = []
        var mfi: [MFI] = []
        var bop: [BalanceOfPower] = []
        var ad: [AccumulationDistribution] = []
        var adosc: [ChaikinOscillator] = []
        var trix: [TRIX] = []
        var ppo: [PPO] = []
        var stochrsi: [StochasticRSI] = []
        var ultosc: [UltimateOscillator] = []
        var sar: [ParabolicSAR] = []
        var donchian: [DonchianChannel] = []
        var keltner: [KeltnerChannel] = []
        var supertrend: [Supertrend] = []
        var ichimoku: [Ichimoku] = []
        var pivots: [PivotPoints] = []
        var cross: [Cross] = []
        var trend: [Trend] = []
        var barssince: [BarsSince] = []
        var valuewhen: [ValueWhen] = []
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
            case .vwap(let anchor): i = put(&vwap, VWAP(anchor: anchor))
            case .rsi(let n): i = put(&rsi, RSI(length: n))
            case .cmo(let n): i = put(&cmo, CMO(length: n))
            case .momentum(let kind, let n): i = put(&momentum, Momentum(kind, length: n))
            case .percentrank(let n): i = put(&percentrank, PercentRank(length: n))
            case .stddev(let n): i = put(&stddev, StdDev(length: n))
            case .variance(let n): i = put(&variance, Variance(length: n))
            case .zscore(let n): i = put(&zscore, ZScore(length: n))
            case .linreg(let output, let n): i = put(&linreg, LinearRegression(output, length: n))
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
            case .bop: i = put(&bop, BalanceOfPower())
            case .ad: i = put(&ad, AccumulationDistribution())
            case .adosc(let f, let s): i = put(&adosc, ChaikinOscillator(fast: f, slow: s))
            case .trix(let n): i = put(&trix, TRIX(length: n))
            case .ppo(let f, let s): i = put(&ppo, PPO(fast: f, slow: s))
            case .stochrsi(let n, let k, let d): i = put(&stochrsi, StochasticRSI(length: n, k: k, d: d))
            case .ultosc(let p1, let p2, let p3): i = put(&ultosc, UltimateOscillator(p1, p2, p3))
            case .sar(let a, let m): i = put(&sar, ParabolicSAR(acceleration: a, maximum: m))
            case .donchian(let n): i = put(&donchian, DonchianChannel(length: n))
            case .keltner(let n, let a, let m): i = put(&keltner, KeltnerChannel(length: n, atrLength: a, multiplier: m))
            case .supertrend(let n, let f): i = put(&supertrend, Supertrend(atrLength: n, factor: f))
            case .ichimoku(let t, let k, let s): i = put(&ichimoku, Ichimoku(tenkan: t, kijun: k, senkou: s))
            case .pivots(let kind): i = put(&pivots, PivotPoints(kind: kind))
            case .cross(let above): i = put(&cross, Cross(above: above))
            case .trend(let n, let rising): i = put(&trend, Trend(length: n, rising: rising))
            case .barssince: i = put(&barssince, BarsSince())
            case .valuewhen(let k): i = put(&valuewhen, ValueWhen(occurrence: k))
            }
            localIndex.append(i)
        }
        self.sma = buffer(sma)
        self.ema = buffer(ema)
        self.wma = buffer(wma)
        self.dema = buffer(dema)
        self.tema = buffer(tema)
        self.hma = buffer(hma)
        self.rma = buffer(rma)
        self.kama = buffer(kama)
        self.vwap = buffer(vwap)
        self.rsi = buffer(rsi)
        self.cmo = buffer(cmo)
        self.momentum = buffer(momentum)
        self.percentrank = buffer(percentrank)
        self.stddev = buffer(stddev)
        self.variance = buffer(variance)
        self.zscore = buffer(zscore)
        self.linreg = buffer(linreg)
        self.correl = buffer(correl)
        self.extreme = buffer(extreme)
        self.atr = buffer(atr)
        self.natr = buffer(natr)
        self.trange = buffer(trange)
        self.bbands = buffer(bbands)
        self.macd = buffer(macd)
        self.di = buffer(di)
        self.adx = buffer(adx)
        self.aroon = buffer(aroon)
        self.cci = buffer(cci)
        self.willr = buffer(willr)
        self.stoch = buffer(stoch)
        self.obv = buffer(obv)
        self.mfi = buffer(mfi)
        self.bop = buffer(bop)
        self.ad = buffer(ad)
        self.adosc = buffer(adosc)
        self.trix = buffer(trix)
        self.ppo = buffer(ppo)
        self.stochrsi = buffer(stochrsi)
        self.ultosc = buffer(ultosc)
        self.sar = buffer(sar)
        self.donchian = buffer(donchian)
        self.keltner = buffer(keltner)
        self.supertrend = buffer(supertrend)
        self.ichimoku = buffer(ichimoku)
        self.pivots = buffer(pivots)
        self.cross = buffer(cross)
        self.trend = buffer(trend)
        self.barssince = buffer(barssince)
        self.valuewhen = buffer(valuewhen)
    }

    deinit {
        release(sma)
        release(ema)
        release(wma)
        release(dema)
        release(tema)
        release(hma)
        release(rma)
        release(kama)
        release(vwap)
        release(rsi)
        release(cmo)
        release(momentum)
        release(percentrank)
        release(stddev)
        release(variance)
        release(zscore)
        release(linreg)
        release(correl)
        release(extreme)
        release(atr)
        release(natr)
        release(trange)
        release(bbands)
        release(macd)
        release(di)
        release(adx)
        release(aroon)
        release(cci)
        release(willr)
        release(stoch)
        release(obv)
        release(mfi)
        release(bop)
        release(ad)
        release(adosc)
        release(trix)
        release(ppo)
        release(stochrsi)
        release(ultosc)
        release(sar)
        release(donchian)
        release(keltner)
        release(supertrend)
        release(ichimoku)
        release(pivots)
        release(cross)
        release(trend)
        release(barssince)
        release(valuewhen)
    }
}

private func buffer<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
    let b = UnsafeMutableBufferPointer<T>.allocate(capacity: array.count)
    _ = b.initialize(from: array)
    return b
}

private func release<T>(_ b: UnsafeMutableBufferPointer<T>) {
    b.deinitialize()
    b.deallocate()
}

import StratIR
import StratIndicators
import StratMarket
import StratSyntax

/// Evaluates a compiled strategy bar by bar. One instance per traded symbol holds
/// that symbol's node values, history rings and indicator states; every instance
/// runs the same flat instruction array. Higher timeframes are resampled from the
/// base bars and advance only when their bar closes.
///
///     let rt = try Runtime(strategy: ir.strategies[0], symbols: ["GOOG"], baseInterval: 86_400_000)
///     for bar in series.bars { rt.step(bar) }
///     rt.value(node: ir.strategies[0].lets[0].node)
///
/// A reference type: it owns the evaluation state, which lives in fixed buffers.
public final class Runtime {
    public let strategy: IRStrategy
    /// Symbols with data, in the order `step(time:bars:)` takes their bars.
    public let dataSymbols: [String]
    /// The traded symbols: one instance each.
    public let symbols: [String]
    public let inputs: [Double]
    public let baseInterval: Int64
    let program: Program
    /// Copied out of `program` so the per-bar paths read them without indirection.
    let phases: [Range<Int>]
    let slotOfNode: [Int]
    let single: Instance?
    let code: UnsafeMutableBufferPointer<Instruction>
    let instances: [Instance]
    /// Clocks in use: index 0 is the base timeframe.
    let clocks: [Int64?]
    var resamplers: [[Resampler]]      // [data symbol][clock index − 1]
    let ticked: UnsafeMutableBufferPointer<Bool>    // [data symbol × clock]
    let laneBars: UnsafeMutableBufferPointer<Bar>   // [data symbol × clock]
    public internal(set) var barCount = 0
    /// Column mode (`computeColumns`): each slot's values over the whole run
    /// (nil for values known before it), read at the bar `step` has reached.
    var columns: [Column?]?
    /// Column mode: crossings whose columns are made when first read (by slot).
    var deferredCrossings: [Int: DeferredCrossing] = [:]

    /// `symbols`: the symbols the data provides. `baseInterval`: the base bar
    /// length in milliseconds. `overrides`: input values by name.
    public init(strategy: IRStrategy, overrides: [String: Double] = [:], symbols data: [String], baseInterval: Int64) throws {
        guard !data.isEmpty else { throw RuntimeError("no data: give at least one symbol's bars") }
        guard baseInterval > 0 else { throw RuntimeError("the base interval must be positive") }
        // The checker keeps timeframes within the limit; IR read from elsewhere is
        // checked here, before a clock is turned into milliseconds.
        for c in Set(strategy.nodes.compactMap(\.type.clock) + strategy.timeframes) where c <= 0 || c > Limits.maxTimeframeSeconds {
            throw RuntimeError("timeframe \(c)s is outside 1s…\(Limits.maxTimeframeSeconds)s (100 years)")
        }
        self.strategy = strategy
        dataSymbols = data
        self.baseInterval = baseInterval
        inputs = try InputBinding.resolve(strategy.inputs, overrides: overrides)
        program = try Program(strategy: strategy, inputs: inputs)

        if strategy.membership != nil || (strategy.universe.count <= 1 && data.count == 1) {
            // A dynamic universe ranks every symbol the data gives.
            symbols = data
        } else {
            symbols = strategy.universe.isEmpty ? [data[0]] : strategy.universe
        }
        for s in symbols + strategy.referencedSymbols where !data.contains(s) {
            throw RuntimeError("no data for symbol \(s); the data provides \(data.joined(separator: ", "))")
        }
        // A clock equal to the data's bar length is the base clock.
        func clockIndexKey(_ c: Int64?) -> Int64? { c.map { $0 * 1000 == baseInterval ? nil : $0 } ?? nil }
        var clocks: [Int64?] = [nil]
        for lane in program.lanes where !clocks.contains(clockIndexKey(lane.clock)) { clocks.append(clockIndexKey(lane.clock)) }
        for case let c? in clocks {
            let ms = c * 1000
            guard ms > baseInterval, ms % baseInterval == 0 else {
                throw RuntimeError("timeframe \(c)s is not a whole multiple of the data's \(baseInterval / 1000)s bars")
            }
        }
        self.clocks = clocks
        resamplers = data.map { _ in clocks.dropFirst().map { Resampler(interval: $0! * 1000, base: baseInterval) } }
        ticked = .allocate(capacity: data.count * clocks.count)
        ticked.initialize(repeating: false)
        laneBars = .allocate(capacity: data.count * clocks.count)
        laneBars.initialize(repeating: Bar(time: 0, open: .nan, high: .nan, low: .nan, close: .nan, volume: .nan))

        var local: [Int32] = []
        let specs = program.kernels
        _ = KernelStore(specs, localIndex: &local)
        var code = program.instructions
        for i in code.indices where Self.usesKernel(code[i].op) { code[i].k = local[Int(code[i].k)] }
        self.code = .allocate(capacity: code.count)
        _ = self.code.initialize(from: code)
        phases = program.phases
        slotOfNode = program.slotOfNode
        let lanes = program.lanes, initial = program.initialValues, rings = program.ringCapacities
        instances = symbols.map { sym in
            let laneData = lanes.map { lane -> Int in
                let s = data.firstIndex(of: lane.symbol ?? sym)!
                return s * clocks.count + clocks.firstIndex(of: clockIndexKey(lane.clock))!
            }
            return Instance(values: initial, rings: rings, kernels: KernelStore(specs, localIndex: &local), laneData: laneData)
        }
        single = instances.count == 1 && !code.contains { $0.op == .rank } ? instances[0] : nil
    }

    deinit {
        code.deallocate()
        ticked.deallocate()
        laneBars.deallocate()
    }

    static func usesKernel(_ op: OpCode) -> Bool { op.rawValue >= OpCode.sma.rawValue && op != .rank }

    /// Feeds one bar of a single-symbol run.
    public func step(_ bar: Bar) {
        if columns != nil { barCount += 1; return }
        advance(symbols: 1) { _ in bar }
    }

    /// Feeds the bars that open at `time`, one per data symbol (nil: no bar for
    /// that symbol at this time), then evaluates every instance whose bars closed.
    public func step(time: Int64, bars: [Bar?]) {
        precondition(bars.count == dataSymbols.count, "one bar (or nil) per data symbol")
        if columns != nil { barCount += 1; return }
        advance(symbols: bars.count) { bars[$0] }
    }

    private func advance(symbols count: Int, _ barOf: (Int) -> Bar?) {
        let nc = clocks.count
        // Higher-timeframe bars closed by a bar of a later bucket run first, alone.
        if nc > 1 {
            var early = false
            for s in 0..<count {
                guard let b = barOf(s) else { continue }
                for c in 1..<nc {
                    if let closed = resamplers[s][c - 1].closeBefore(b.time) {
                        ticked[s * nc + c] = true
                        laneBars[s * nc + c] = closed
                        early = true
                    }
                }
            }
            if early { evaluate() }
        }
        for s in 0..<count {
            guard let b = barOf(s) else { continue }
            ticked[s * nc] = true
            laneBars[s * nc] = b
            for c in 1..<nc {
                if let closed = resamplers[s][c - 1].add(b) {
                    ticked[s * nc + c] = true
                    laneBars[s * nc + c] = closed
                }
            }
        }
        evaluate()
        barCount += 1
    }

    func evaluate() {
        let code = UnsafePointer(self.code.baseAddress!)
        let ticked = UnsafePointer(self.ticked.baseAddress!), bars = UnsafePointer(laneBars.baseAddress!)
        if let single {
            // One symbol, no cross-sectional op: one pass over all instructions.
            single.run(0..<self.code.count, code, ticked: ticked, bars: bars)
            self.ticked.update(repeating: false)
            return
        }
        for phase in phases {
            if code[phase.lowerBound].op == .rank {
                rank(code[phase.lowerBound])
                continue
            }
            for instance in instances { instance.run(phase, code, ticked: ticked, bars: bars) }
        }
        self.ticked.update(repeating: false)
    }

    /// Cross-sectional rank: 1 for the largest value across the instances on this bar.
    /// Reads every instance's input before writing any rank (the output slot
    /// differs from the input slot, so one pass per instance suffices). Only the
    /// symbols with a bar now take part: one whose data has ended (delisted) or
    /// not begun does not compete with a stale value.
    func rank(_ ins: Instruction) {
        let a = Int(ins.a), dst = Int(ins.dst), lane = Int(ins.lane)
        for instance in instances where ticked[instance.laneData[lane]] {
            let x = instance.values[a]
            var above = 0
            for other in instances where ticked[other.laneData[lane]] && !other.values[a].isNaN && other.values[a] > x { above += 1 }
            instance.values[dst] = x.isNaN ? .nan : Double(above + 1)
            if ins.ring >= 0 { instance.rings[Int(ins.ring)].push(instance.values[dst]) }
        }
    }

    /// The value of `node` on the last bar for the given instance (NaN is na).
    /// A multi-output node gives its first output; see `outputs`.
    public func value(node: Int, instance: Int = 0) -> Double {
        let slot = slotOfNode[node]
        if let columns, barCount > 0, let c = columns[slot] ?? madeCrossing(slot) { return c.values[barCount - 1] }
        return instances[instance].values[slot]
    }

    /// The outputs of a multi-output node (a call such as `macd`), in order.
    public func outputs(node: Int, count: Int, instance: Int = 0) -> [Double] {
        let first = slotOfNode[node]
        return (0..<count).map { j in
            if let columns, barCount > 0, let c = columns[first + j] ?? madeCrossing(first + j) { return c.values[barCount - 1] }
            return instances[instance].values[first + j]
        }
    }
}

/// The state of one traded symbol, in buffers allocated once.
final class Instance {
    let values: UnsafeMutableBufferPointer<Double>
    let rings: UnsafeMutableBufferPointer<Window>
    let kernels: KernelStore
    /// For each lane, its index into the runtime's ticked/laneBars buffers.
    let laneData: UnsafeMutableBufferPointer<Int>

    init(values: [Double], rings: [Int], kernels: KernelStore, laneData: [Int]) {
        self.values = .allocate(capacity: values.count)
        _ = self.values.initialize(from: values)
        self.rings = .allocate(capacity: rings.count)
        _ = self.rings.initialize(from: rings.map { Window(capacity: $0) })
        self.kernels = kernels
        self.laneData = .allocate(capacity: laneData.count)
        _ = self.laneData.initialize(from: laneData)
    }

    deinit {
        values.deallocate()
        rings.deinitialize()
        rings.deallocate()
        laneData.deallocate()
    }

    func run(_ range: Range<Int>, _ code: UnsafePointer<Instruction>, ticked: UnsafePointer<Bool>, bars: UnsafePointer<Bar>) {
        let values = self.values.baseAddress!, laneData = self.laneData.baseAddress!, rings = self.rings.baseAddress!
        let kernels = self.kernels
        for pc in range {
            let ins = code[pc]
            let lane = laneData[Int(ins.lane)]
            guard ticked[lane] else { continue }
            let dst = Int(ins.dst), a = Int(ins.a), b = Int(ins.b), c = Int(ins.c), k = Int(ins.k)
            switch ins.op {
            case .open: values[dst] = bars[lane].open
            case .high: values[dst] = bars[lane].high
            case .low: values[dst] = bars[lane].low
            case .close: values[dst] = bars[lane].close
            case .volume: values[dst] = bars[lane].volume
            case .time: values[dst] = Double(bars[lane].time) / 1000
            case .hl2: let x = bars[lane]; values[dst] = (x.high + x.low) / 2
            case .hlc3: let x = bars[lane]; values[dst] = (x.high + x.low + x.close) / 3
            case .ohlc4: let x = bars[lane]; values[dst] = (x.open + x.high + x.low + x.close) / 4
            case .copy: values[dst] = values[a]
            case .neg, .not, .add, .sub, .mul, .div, .eq, .ne, .lt, .le, .gt, .ge, .and, .or, .select:
                values[dst] = Evaluate.scalar(ins.op, values[a], values[b], values[c])
            case .history: values[dst] = rings[b][c]
            case .abs, .min, .max, .clamp, .round, .floor, .ceil, .sign, .sqrt, .log, .exp, .pow, .nz, .isna:
                values[dst] = Evaluate.math(ins.op, values[a], values[b], values[c])
            case .hour, .minute, .dayofweek, .dayofmonth, .month, .year: values[dst] = Evaluate.calendar(ins.op, values[a])
            case .sma: values[dst] = kernels.sma[k].update(values[a])
            case .ema: values[dst] = kernels.ema[k].update(values[a])
            case .wma: values[dst] = kernels.wma[k].update(values[a])
            case .dema: values[dst] = kernels.dema[k].update(values[a])
            case .tema: values[dst] = kernels.tema[k].update(values[a])
            case .hma: values[dst] = kernels.hma[k].update(values[a])
            case .rma: values[dst] = kernels.rma[k].update(values[a])
            case .kama: values[dst] = kernels.kama[k].update(values[a])
            case .vwap:
                values[dst] = kernels.vwap[k].update(time: Int64(values[Int(ins.e)] * 1000), high: values[a], low: values[b],
                                                    close: values[c], volume: values[Int(ins.d)])
            case .rsi: values[dst] = kernels.rsi[k].update(values[a])
            case .cmo: values[dst] = kernels.cmo[k].update(values[a])
            case .momentum: values[dst] = kernels.momentum[k].update(values[a])
            case .percentrank: values[dst] = kernels.percentrank[k].update(values[a])
            case .stddev: values[dst] = kernels.stddev[k].update(values[a])
            case .variance: values[dst] = kernels.variance[k].update(values[a])
            case .zscore: values[dst] = kernels.zscore[k].update(values[a])
            case .linreg: values[dst] = kernels.linreg[k].update(values[a])
            case .correl: values[dst] = kernels.correl[k].update(values[a], values[b])
            case .extreme: values[dst] = kernels.extreme[k].update(values[a])
            case .atr: values[dst] = kernels.atr[k].update(high: values[a], low: values[b], close: values[c])
            case .natr: values[dst] = kernels.natr[k].update(high: values[a], low: values[b], close: values[c])
            case .trange: values[dst] = kernels.trange[k].update(high: values[a], low: values[b], close: values[c])
            case .bbands:
                let r = kernels.bbands[k].update(values[a])
                values[dst] = r.upper; values[dst + 1] = r.middle; values[dst + 2] = r.lower
            case .macd:
                let r = kernels.macd[k].update(values[a])
                values[dst] = r.macd; values[dst + 1] = r.signal; values[dst + 2] = r.hist
            case .di: values[dst] = kernels.di[k].update(high: values[a], low: values[b], close: values[c])
            case .adx: values[dst] = kernels.adx[k].update(high: values[a], low: values[b], close: values[c])
            case .aroon:
                let r = kernels.aroon[k].update(high: values[a], low: values[b])
                values[dst] = r.down; values[dst + 1] = r.up
            case .cci: values[dst] = kernels.cci[k].update(high: values[a], low: values[b], close: values[c])
            case .willr: values[dst] = kernels.willr[k].update(high: values[a], low: values[b], close: values[c])
            case .stoch:
                let r = kernels.stoch[k].update(high: values[a], low: values[b], close: values[c])
                values[dst] = r.k; values[dst + 1] = r.d
            case .obv: values[dst] = kernels.obv[k].update(close: values[a], volume: values[b])
            case .mfi: values[dst] = kernels.mfi[k].update(high: values[a], low: values[b], close: values[c], volume: values[Int(ins.d)])
            case .bop: values[dst] = kernels.bop[k].update(open: values[a], high: values[b], low: values[c], close: values[Int(ins.d)])
            case .ad: values[dst] = kernels.ad[k].update(high: values[a], low: values[b], close: values[c], volume: values[Int(ins.d)])
            case .adosc: values[dst] = kernels.adosc[k].update(high: values[a], low: values[b], close: values[c], volume: values[Int(ins.d)])
            case .trix: values[dst] = kernels.trix[k].update(values[a])
            case .ppo: values[dst] = kernels.ppo[k].update(values[a])
            case .stochrsi:
                let r = kernels.stochrsi[k].update(values[a])
                values[dst] = r.fastk; values[dst + 1] = r.fastd
            case .ultosc: values[dst] = kernels.ultosc[k].update(high: values[a], low: values[b], close: values[c])
            case .sar: values[dst] = kernels.sar[k].update(high: values[a], low: values[b])
            case .donchian:
                let r = kernels.donchian[k].update(high: values[a], low: values[b])
                values[dst] = r.upper; values[dst + 1] = r.middle; values[dst + 2] = r.lower
            case .keltner:
                let r = kernels.keltner[k].update(high: values[a], low: values[b], close: values[c])
                values[dst] = r.upper; values[dst + 1] = r.middle; values[dst + 2] = r.lower
            case .supertrend:
                let r = kernels.supertrend[k].update(high: values[a], low: values[b], close: values[c])
                values[dst] = r.line; values[dst + 1] = r.direction
            case .ichimoku:
                let r = kernels.ichimoku[k].update(high: values[a], low: values[b])
                values[dst] = r.tenkan; values[dst + 1] = r.kijun; values[dst + 2] = r.senkouA; values[dst + 3] = r.senkouB
            case .pivots:
                // Classic and fibonacci write (p, r1…r3, s1…s3); camarilla (p, r1…r4, s1…s4).
                let r = kernels.pivots[k].update(high: values[a], low: values[b], close: values[c])
                values[dst] = r.p; values[dst + 1] = r.r1; values[dst + 2] = r.r2; values[dst + 3] = r.r3
                if kernels.pivots[k].kind == .camarilla {
                    values[dst + 4] = r.r4; values[dst + 5] = r.s1; values[dst + 6] = r.s2; values[dst + 7] = r.s3; values[dst + 8] = r.s4
                } else {
                    values[dst + 4] = r.s1; values[dst + 5] = r.s2; values[dst + 6] = r.s3
                }
            case .cross: values[dst] = kernels.cross[k].update(values[a], values[b])
            case .trend: values[dst] = kernels.trend[k].update(values[a])
            case .barssince: values[dst] = kernels.barssince[k].update(values[a] == 1)
            case .valuewhen: values[dst] = kernels.valuewhen[k].update(values[a] == 1, values[b])
            case .rank: break   // run across instances by the runtime
            }
            if ins.ring >= 0 { rings[Int(ins.ring)].push(values[dst]) }
        }
    }
}

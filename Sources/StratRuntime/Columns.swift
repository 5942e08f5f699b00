import Foundation
import StratIndicators
import StratMarket

/// One node output's values over a whole series, one per bar; immutable once
/// made, so runs on other threads may read it.
public final class Column: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Double>

    init(count: Int) { values = .allocate(capacity: Swift.max(count, 1)) }
    init(repeating x: Double, count: Int) {
        values = .allocate(capacity: Swift.max(count, 1))
        values.initialize(repeating: x)
    }
    deinit { values.deallocate() }
    var bytes: Int { values.count * MemoryLayout<Double>.stride }
}

/// Indicator columns shared by the runs of one batch over the same bars: each
/// distinct computation (an indicator with its resolved parameters over a
/// given input, e.g. `sma(close, 10)`) is made once and read by every point
/// that needs it. A computation is named by its structure, never by node
/// numbers or input names, so two points that resolve `sma(close, fast)` to the
/// same length share it. Bounded by `budget` bytes: past it, points compute
/// their own columns (the results are the same, only slower).
public final class ColumnCache: @unchecked Sendable {
    public let budget: Int
    private let lock = NSLock()
    private var ids: [ColumnKey: Int] = [:]
    private var columns: [Int: [Column]] = [:]
    public private(set) var bytes = 0
    /// The bars the columns were made from: a run on other bars does not use them.
    private var fingerprint: [Int64]?

    public init(budget: Int = 512 << 20) { self.budget = budget }

    /// Whether `bars` are the bars this cache's columns belong to (the first
    /// caller's bars define them).
    func accepts(_ bars: UnsafeBufferPointer<Bar>) -> Bool {
        guard let first = bars.first, let last = bars.last else { return false }
        let f = [Int64(bars.count), first.time, last.time, Int64(bitPattern: first.close.bitPattern), Int64(bitPattern: last.close.bitPattern)]
        lock.lock(); defer { lock.unlock() }
        if fingerprint == nil { fingerprint = f }
        return fingerprint == f
    }

    /// A small number for a computation, the same in every run.
    func id(_ key: ColumnKey) -> Int {
        lock.lock(); defer { lock.unlock() }
        if let i = ids[key] { return i }
        ids[key] = ids.count
        return ids.count - 1
    }

    func columns(_ id: Int) -> [Column]? {
        lock.lock(); defer { lock.unlock() }
        return columns[id]
    }

    /// Keeps `made` for computation `id` if the budget allows; the first kept wins.
    func offer(_ id: Int, _ made: [Column]) {
        let size = made.reduce(0) { $0 + $1.bytes }
        lock.lock(); defer { lock.unlock() }
        guard columns[id] == nil, bytes + size <= budget else { return }
        columns[id] = made
        bytes += size
    }

    public var count: Int {
        lock.lock(); defer { lock.unlock() }
        return columns.count
    }
}

/// What a column is computed as: the op with its resolved parameters, over
/// operands that are other columns or values known before the run.
struct ColumnKey: Hashable {
    enum Operand: Hashable {
        case column(id: Int, output: Int)
        case value(UInt64)
    }
    var op: UInt8
    var kernel: KernelSpec?
    /// `history`: the column it looks back on, and how far.
    var history: Operand?
    var offset: Int32 = 0
    var operands: [Operand]
}


/// Column mode: a single-symbol strategy on one timeframe evaluates each
/// instruction over every bar at once instead of every instruction on each bar.
/// The values are the same to the bit (the same kernels see the same inputs in
/// the same order); what changes is that indicator columns can come from a
/// `ColumnCache` and that the per-bar interpreter does not run at all.
extension Runtime {
    /// Per-run columns are bounded too: past this, the run streams.
    static let columnRunBudget = 256 << 20

    /// Computes every node's column over `bars` (the bars `step` will then be
    /// given, in order) and switches the runtime to reading them. False (and
    /// nothing changed) when the strategy cannot run so: several symbols, a
    /// higher timeframe, a cross-sectional op, or columns over the memory bound.
    @discardableResult
    public func computeColumns(_ bars: [Bar], cache: ColumnCache? = nil) -> Bool {
        guard let instance = single, clocks.count == 1, dataSymbols.count == 1, barCount == 0, !bars.isEmpty else { return false }
        let n = bars.count
        let outputs = (0..<code.count).reduce(0) { $0 + Int(code[$1].outputs) }
        guard outputs * n * MemoryLayout<Double>.stride <= Self.columnRunBudget else { return false }
        return bars.withUnsafeBufferPointer { bars in
            let cache = cache.flatMap { $0.accepts(bars) ? $0 : nil }
            // Slots some instruction reads: their columns must exist (as must those
            // looked back on through a ring).
            var read = Set<Int>()
            for ins in code { read.formUnion(Self.operandSlots(ins)) }
            var slotColumn = [Column?](repeating: nil, count: instance.values.count)
            var slotKey = [ColumnKey.Operand?](repeating: nil, count: instance.values.count)
            var ringColumn = [Column?](repeating: nil, count: instance.rings.count)
            var ringKey = [ColumnKey.Operand?](repeating: nil, count: instance.rings.count)
            // A static operand's column: its value on every bar (made once per run).
            var broadcasts: [Int: Column] = [:]
            func operand(_ slot: Int) -> Column {
                if let c = slotColumn[slot] { return c }
                if let c = broadcasts[slot] { return c }
                let c = Column(repeating: instance.values[slot], count: n)
                broadcasts[slot] = c
                return c
            }
            for pc in 0..<code.count {
                let ins = code[pc], template = program.instructions[pc]
                let slots = Self.operandSlots(ins)
                let count = Int(ins.outputs)
                var id = -1
                if let cache {
                    var key = ColumnKey(op: ins.op.rawValue, kernel: Self.usesKernel(ins.op) ? program.kernels[Int(template.k)] : nil,
                                        operands: slots.map { slotKey[$0] ?? .value(instance.values[$0].bitPattern) })
                    if ins.op == .history { (key.history, key.offset) = (ringKey[Int(ins.b)], ins.c) }
                    id = cache.id(key)
                }
                let made: [Column]
                if ins.op == .cross, ins.ring < 0, !read.contains(Int(ins.dst)) {
                    // A crossing nothing else reads (a rule's condition): made only if
                    // asked for; a quiet backtest asks only where it holds (`trueRows`).
                    let k = instance.kernels.cross[Int(ins.k)]
                    deferredCrossings[Int(ins.dst)] = DeferredCrossing(a: operand(slots[0]), b: operand(slots[1]), kernel: k, count: n)
                    slotKey[Int(ins.dst)] = .column(id: id, output: 0)
                    continue
                } else if id >= 0, Self.shareable(ins.op), let shared = cache?.columns(id) {
                    made = shared
                } else {
                    made = computeColumn(pc, ins, slots.map(operand), ringColumn: ringColumn, bars: bars, instance: instance)
                    if id >= 0, Self.shareable(ins.op) { cache?.offer(id, made) }
                }
                for j in 0..<count {
                    slotColumn[Int(ins.dst) + j] = made[j]
                    slotKey[Int(ins.dst) + j] = .column(id: id, output: j)
                }
                if ins.ring >= 0 {
                    ringColumn[Int(ins.ring)] = made[0]
                    ringKey[Int(ins.ring)] = .column(id: id, output: 0)
                }
            }
            columns = slotColumn
            return true
        }
    }

    /// Whether the runtime reads columns (`computeColumns` succeeded).
    public var isColumnar: Bool { columns != nil }

    /// Column mode: whether `node` has a value per bar (rather than one known before the run).
    public func hasColumn(node: Int) -> Bool {
        let slot = slotOfNode[node]
        return columns?[slot] != nil || deferredCrossings[slot] != nil
    }

    /// Column mode: the bars on which any of `nodes` (at most 64) is true (its
    /// value is 1), in order, each with which are (bit k: `nodes[k]`); a node
    /// known before the run is left out. A crossing no other instruction reads
    /// is found from its operands, without making its column, and crossings of
    /// the same two columns (`crossover(a, b)` beside `crossunder(a, b)`) in one
    /// pass over them.
    public func trueRows(of nodes: [Int]) -> [(row: Int, which: UInt64)] {
        precondition(nodes.count <= 64, "at most 64 nodes")
        var lists: [[(row: Int, which: UInt64)]] = []
        var crossings: [(DeferredCrossing, bit: UInt64)] = []
        for (k, node) in nodes.enumerated() {
            let slot = slotOfNode[node], bit = UInt64(1) << UInt64(k)
            if let d = deferredCrossings[slot] {
                crossings.append((d, bit))
            } else if let c = column(node: node) {
                var rows: [(row: Int, which: UInt64)] = []
                for row in 0..<c.count where c[row] == 1 { rows.append((row, bit)) }
                lists.append(rows)
            }
        }
        while let (d, _) = crossings.first {
            let same = crossings.filter { $0.0.a === d.a && $0.0.b === d.b }
            crossings.removeAll { $0.0.a === d.a && $0.0.b === d.b }
            lists.append(DeferredCrossing.trueRows(same))
        }
        return lists.reduce([]) { Self.union($0, $1) }
    }

    /// Two lists of bars (ascending) with masks, as one: ascending, a bar's masks merged.
    static func union(_ a: [(row: Int, which: UInt64)], _ b: [(row: Int, which: UInt64)]) -> [(row: Int, which: UInt64)] {
        guard !a.isEmpty, !b.isEmpty else { return a.isEmpty ? b : a }
        var out: [(row: Int, which: UInt64)] = []
        out.reserveCapacity(a.count + b.count)
        var (i, j) = (0, 0)
        while i < a.count || j < b.count {
            if j == b.count || i < a.count && a[i].row < b[j].row {
                out.append(a[i]); i += 1
            } else if i == a.count || b[j].row < a[i].row {
                out.append(b[j]); j += 1
            } else {
                out.append((a[i].row, a[i].which | b[j].which)); i += 1; j += 1
            }
        }
        return out
    }

    /// The column of a deferred crossing at `slot`, made now (nil if there is none).
    func madeCrossing(_ slot: Int) -> Column? {
        guard !deferredCrossings.isEmpty, let d = deferredCrossings.removeValue(forKey: slot) else { return nil }
        let c = d.column()
        columns?[slot] = c
        return c
    }

    /// Column mode: moves past `count` bars without looking at them (their
    /// values are in the columns already).
    public func skip(_ count: Int) {
        precondition(columns != nil && count >= 0, "skipping bars needs column mode")
        barCount += count
    }

    /// Column mode: `node`'s values on every bar (nil for a value known before
    /// the run), valid while the runtime lives.
    public func column(node: Int) -> UnsafeBufferPointer<Double>? {
        let slot = slotOfNode[node]
        return (columns?[slot] ?? madeCrossing(slot)).map { UnsafeBufferPointer($0.values) }
    }

    /// The value slots an instruction reads.
    static func operandSlots(_ ins: Instruction) -> [Int] {
        [ins.a, ins.b, ins.c, ins.d, ins.e].prefix(Int(ins.arity)).map(Int.init)
    }

    /// Bar fields and indicators are kept across runs; the cheap signals
    /// (crossings, counts) and arithmetic are computed by each run.
    static func shareable(_ op: OpCode) -> Bool {
        op.rawValue <= OpCode.ohlc4.rawValue || usesKernel(op) && ![.cross, .trend, .barssince, .valuewhen].contains(op)
    }

    /// One instruction over every bar.
    func computeColumn(_ pc: Int, _ ins: Instruction, _ operands: [Column], ringColumn: [Column?],
                       bars: UnsafeBufferPointer<Bar>, instance: Instance) -> [Column] {
        let n = bars.count
        if ins.op == .cross {
            return [DeferredCrossing(a: operands[0], b: operands[1], kernel: instance.kernels.cross[Int(ins.k)], count: n).column()]
        }
        let out = (0..<Int(ins.outputs)).map { _ in Column(count: n) }
        let o = out[0].values.baseAddress!
        switch ins.op {
        // (Loops written out: a key path or closure per bar costs more than the bar's work.)
        case .open: for i in 0..<n { o[i] = bars[i].open }
        case .high: for i in 0..<n { o[i] = bars[i].high }
        case .low: for i in 0..<n { o[i] = bars[i].low }
        case .close: for i in 0..<n { o[i] = bars[i].close }
        case .volume: for i in 0..<n { o[i] = bars[i].volume }
        case .time: for i in 0..<n { o[i] = Double(bars[i].time) / 1000 }
        case .hl2: for i in 0..<n { o[i] = (bars[i].high + bars[i].low) / 2 }
        case .hlc3: for i in 0..<n { o[i] = (bars[i].high + bars[i].low + bars[i].close) / 3 }
        case .ohlc4: for i in 0..<n { o[i] = (bars[i].open + bars[i].high + bars[i].low + bars[i].close) / 4 }
        case .copy: return [operands[0]]
        case .history:
            let src = ringColumn[Int(ins.b)]!.values.baseAddress!, back = Int(ins.c)
            for i in 0..<n { o[i] = i >= back ? src[i - back] : .nan }
        case .neg, .not, .add, .sub, .mul, .div, .eq, .ne, .lt, .le, .gt, .ge, .and, .or, .select:
            let (a, b, c) = abc(operands)
            for i in 0..<n { o[i] = Evaluate.scalar(ins.op, a[i], b[i], c[i]) }
        case .abs, .min, .max, .clamp, .round, .floor, .ceil, .sign, .sqrt, .log, .exp, .pow, .nz, .isna:
            let (a, b, c) = abc(operands)
            for i in 0..<n { o[i] = Evaluate.math(ins.op, a[i], b[i], c[i]) }
        case .hour, .minute, .dayofweek, .dayofmonth, .month, .year:
            let t = operands[0].values.baseAddress!
            for i in 0..<n { o[i] = Evaluate.calendar(ins.op, t[i]) }
        default:
            // Any other kernel: the interpreter's own step, one instruction at a time.
            let values = instance.values.baseAddress!
            let slots = Self.operandSlots(ins), inputs = operands.map { UnsafePointer($0.values.baseAddress!) }
            let outputs = out.map(\.values.baseAddress!)
            let lane = Int(instance.laneData[Int(ins.lane)])
            let code = UnsafePointer(self.code.baseAddress!)
            for i in 0..<n {
                for (s, x) in zip(slots, inputs) { values[s] = x[i] }
                ticked[lane] = true
                laneBars[lane] = bars[i]
                instance.run(pc..<(pc + 1), code, ticked: UnsafePointer(ticked.baseAddress!), bars: UnsafePointer(laneBars.baseAddress!))
                for (j, p) in outputs.enumerated() { p[i] = values[Int(ins.dst) + j] }
            }
            ticked[lane] = false
            // The slots the loop wrote go back to what the per-bar values start as.
            for s in Set(slots + (0..<out.count).map { Int(ins.dst) + $0 }) { values[s] = program.initialValues[s] }
        }
        return out
    }

    /// The first three operands' values (unused ones read the first: the op ignores them).
    private func abc(_ operands: [Column]) -> (UnsafePointer<Double>, UnsafePointer<Double>, UnsafePointer<Double>) {
        let p = operands.map { UnsafePointer($0.values.baseAddress!) }
        return (p[0], p.count > 1 ? p[1] : p[0], p.count > 2 ? p[2] : p[0])
    }
}

/// A crossing (`crossover`, `crossunder`) over two columns: its column, or
/// only the bars where it holds.
struct DeferredCrossing {
    let a: Column, b: Column
    /// The kernel as it is before the run (it gives the first bar's value).
    let kernel: Cross
    let count: Int

    /// The kernel's own step for the first bar, then the same test over
    /// adjacent values, with no state carried from bar to bar.
    func column() -> Column {
        let out = Column(count: count)
        let o = out.values.baseAddress!, a = self.a.values.baseAddress!, b = self.b.values.baseAddress!
        guard count > 0 else { return out }
        var k = kernel
        o[0] = k.update(a[0], b[0])
        if k.above {
            for i in 1..<count { o[i] = Self.value(a[i], b[i], a[i - 1], b[i - 1]) { $0 > $1 && $2 <= $3 } }
        } else {
            for i in 1..<count { o[i] = Self.value(a[i], b[i], a[i - 1], b[i - 1]) { $0 < $1 && $2 >= $3 } }
        }
        return out
    }

    /// The bars where any of `crossings` (of the same two columns) is 1, with
    /// the bits of those that are, in one pass over the columns. (A test with
    /// na fails, so na needs no check of its own.)
    static func trueRows(_ crossings: [(DeferredCrossing, bit: UInt64)]) -> [(row: Int, which: UInt64)] {
        guard let (d, _) = crossings.first, d.count > 0 else { return [] }
        let a = d.a.values.baseAddress!, b = d.b.values.baseAddress!
        var rows: [(row: Int, which: UInt64)] = []
        var first: UInt64 = 0
        for (c, bit) in crossings {
            var k = c.kernel
            if k.update(a[0], b[0]) == 1 { first |= bit }
        }
        if first != 0 { rows.append((0, first)) }
        let up = crossings.reduce(0) { $1.0.kernel.above ? $0 | $1.bit : $0 }
        let down = crossings.reduce(0) { $1.0.kernel.above ? $0 : $0 | $1.bit }
        var (pa, pb) = (a[0], b[0])
        for i in 1..<d.count {
            let (x, y) = (a[i], b[i])
            let which = (x > y && pa <= pb ? up : 0) | (x < y && pa >= pb ? down : 0)
            if which != 0 { rows.append((i, which)) }
            (pa, pb) = (x, y)
        }
        return rows
    }

    /// `Cross.update`'s value: na when any of the four is.
    @inline(__always)
    static func value(_ a: Double, _ b: Double, _ pa: Double, _ pb: Double, _ hit: (Double, Double, Double, Double) -> Bool) -> Double {
        a.isNaN || b.isNaN || pa.isNaN || pb.isNaN ? .nan : hit(a, b, pa, pb) ? 1 : 0
    }
}

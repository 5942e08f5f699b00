import StratSema

/// The canonical JSON of a strategy, byte for byte what `JSONEncoder` with
/// `.sortedKeys` writes for it (keys in byte order, nil optionals left out,
/// integral doubles without `.0`, `/` escaped), written straight into bytes for
/// the content hash. Foundation's encoder builds a tree of boxed values first and
/// took half the compile time of a 1 MB strategy. `ContentHashTests` checks the
/// two agree on every example and on fuzzed strategies: a field added to an IR
/// type must be added here too, in its sorted place.
struct CanonicalJSON {
    private(set) var bytes: [UInt8] = []
    /// Set when a number is not finite: `JSONEncoder` refuses those, so the
    /// content hash, like before, is then the hash of no bytes.
    private(set) var failed = false

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    static func of(_ s: IRStrategy) -> [UInt8]? {
        var w = CanonicalJSON(capacity: 256 + 96 * s.nodes.count)
        w.strategy(s)
        return w.failed ? nil : w.bytes
    }

    // MARK: Values

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "/"): raw("\\/")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0..<0x20:
                raw("\\u00")
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 15)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func number(_ v: Double) {
        guard v.isFinite else { failed = true; return }
        var text = v.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    mutating func number<I: BinaryInteger>(_ v: I) {
        bytes.append(contentsOf: String(v).utf8)
    }

    mutating func bool(_ v: Bool) { v ? raw("true") : raw("false") }

    /// An object's members, in the (sorted) order written; `key` before each.
    mutating func key(_ k: StaticString, first: inout Bool) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        raw(k)
        raw("\":")
    }

    mutating func array<T>(_ items: [T], _ write: (inout CanonicalJSON, T) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            write(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    // MARK: IR types (keys sorted as JSONEncoder sorts them)

    mutating func strategy(_ s: IRStrategy) {
        var f = true
        raw("{")
        key("hash", first: &f); string(s.hash)
        key("inputs", first: &f); array(s.inputs) { $0.input($1) }
        key("lets", first: &f); array(s.lets) { w, l in
            var g = true
            w.raw("{")
            w.key("name", first: &g); w.string(l.name)
            w.key("node", first: &g); w.number(l.node)
            w.raw("}")
        }
        key("market", first: &f)
        do {
            var g = true
            raw("{")
            key("kind", first: &g); string(s.market.kind.rawValue)
            key("leverage", first: &g); number(s.market.leverage)
            key("margin", first: &g); string(s.market.margin.rawValue)
            if let m = s.market.mode { key("mode", first: &g); string(m.rawValue) }
            raw("}")
        }
        if let m = s.membership { key("membership", first: &f); number(m) }
        key("name", first: &f); string(s.name)
        key("nodes", first: &f); array(s.nodes) { $0.node($1) }
        if let p = s.pyramiding { key("pyramiding", first: &f); number(p) }
        if let r = s.rebalance { key("rebalance", first: &f); number(r) }
        if let r = s.rebalanceMonths { key("rebalanceMonths", first: &f); number(r) }
        key("referencedSymbols", first: &f); array(s.referencedSymbols) { $0.string($1) }
        key("risk", first: &f); risk(s.risk)
        key("rules", first: &f); array(s.rules) { $0.rule($1) }
        if let t = s.timeframe { key("timeframe", first: &f); number(t) }
        if let m = s.timeframeMonths { key("timeframeMonths", first: &f); number(m) }
        key("timeframes", first: &f); array(s.timeframes) { $0.number($1) }
        key("universe", first: &f); array(s.universe) { $0.string($1) }
        key("warmup", first: &f)
        do {
            var g = true
            raw("{")
            key("atDefaults", first: &g); number(s.warmup.atDefaults)
            key("atMaximum", first: &g); number(s.warmup.atMaximum)
            raw("}")
        }
        raw("}")
    }

    mutating func input(_ i: IRInput) {
        var f = true
        raw("{")
        key("defaultValue", first: &f); number(i.defaultValue)
        if let v = i.max { key("max", first: &f); number(v) }
        if let v = i.min { key("min", first: &f); number(v) }
        key("name", first: &f); string(i.name)
        if let v = i.step { key("step", first: &f); number(v) }
        key("type", first: &f); string(i.type)
        raw("}")
    }

    mutating func node(_ n: IRNode) {
        var f = true
        raw("{")
        key("args", first: &f); array(n.args) { $0.number($1) }
        if let v = n.index { key("index", first: &f); number(v) }
        if let v = n.name { key("name", first: &f); string(v) }
        key("op", first: &f); string(n.op.rawValue)
        key("params", first: &f); array(n.params) { $0.param($1) }
        if let v = n.symbol { key("symbol", first: &f); string(v) }
        key("type", first: &f)
        do {
            var g = true
            raw("{")
            if let c = n.type.clock { key("clock", first: &g); number(c) }
            key("dim", first: &g); string(n.type.dim)
            key("qualifier", first: &g); string(n.type.qualifier)
            raw("}")
        }
        if let v = n.value { key("value", first: &f); number(v) }
        raw("}")
    }

    /// `IRParam`'s own encoding: a constant is a bare number.
    mutating func param(_ p: IRParam) {
        switch p {
        case .const(let v): number(v)
        case .input(let i): raw("{\"input\":"); number(i); raw("}")
        case .node(let i): raw("{\"node\":"); number(i); raw("}")
        }
    }

    mutating func rule(_ r: IRRule) {
        var f = true
        raw("{")
        key("actions", first: &f); array(r.actions) { $0.action($1) }
        key("condition", first: &f); number(r.condition)
        if let s = r.source { key("source", first: &f); source(s) }
        raw("}")
    }

    mutating func source(_ s: IRSource) {
        var f = true
        raw("{")
        key("column", first: &f); number(s.column)
        key("file", first: &f); string(s.file)
        key("line", first: &f); number(s.line)
        raw("}")
    }

    mutating func action(_ a: IRAction) {
        var f = true
        raw("{")
        key("kind", first: &f); string(a.kind.rawValue)
        if let o = a.order { key("order", first: &f); order(o) }
        if let s = a.side { key("side", first: &f); string(s.rawValue) }
        if let s = a.source { key("source", first: &f); source(s) }
        raw("}")
    }

    mutating func order(_ o: IROrder) {
        var f = true
        raw("{")
        if let d = o.display { key("display", first: &f); number(d) }
        if let p = o.expireBars { key("expireBars", first: &f); param(p) }
        if let p = o.expireSeconds { key("expireSeconds", first: &f); param(p) }
        if let v = o.limitPrice { key("limitPrice", first: &f); number(v) }
        key("postOnly", first: &f); bool(o.postOnly)
        if let v = o.price { key("price", first: &f); number(v) }
        key("reduceOnly", first: &f); bool(o.reduceOnly)
        key("size", first: &f)
        do {
            var g = true
            raw("{")
            key("args", first: &g); array(o.size.args) { $0.number($1) }
            key("kind", first: &g); string(o.size.kind.rawValue)
            raw("}")
        }
        if let s = o.stop { key("stop", first: &f); priceSpec(s) }
        if let s = o.take { key("take", first: &f); priceSpec(s) }
        key("tif", first: &f); string(o.tif.rawValue)
        if let s = o.trail { key("trail", first: &f); priceSpec(s) }
        if let m = o.triggerOnMark { key("triggerOnMark", first: &f); bool(m) }
        key("type", first: &f); string(o.type.rawValue)
        raw("}")
    }

    mutating func priceSpec(_ s: IRPriceSpec) {
        var f = true
        raw("{")
        key("kind", first: &f); string(s.kind.rawValue)
        key("node", first: &f); number(s.node)
        raw("}")
    }

    mutating func risk(_ r: IRRisk) {
        var f = true
        raw("{")
        if let p = r.correlationBars { key("correlationBars", first: &f); param(p) }
        if let a = r.drawdownAction { key("drawdownAction", first: &f); string(a) }
        if let p = r.drawdownScale { key("drawdownScale", first: &f); param(p) }
        if let p = r.drawdownWindow { key("drawdownWindow", first: &f); param(p) }
        if let p = r.haltPause { key("haltPause", first: &f); param(p) }
        if let p = r.maxCorrelation { key("maxCorrelation", first: &f); param(p) }
        if let p = r.maxDailyLoss { key("maxDailyLoss", first: &f); param(p) }
        if let p = r.maxDrawdown { key("maxDrawdown", first: &f); param(p) }
        if let p = r.maxExposure { key("maxExposure", first: &f); param(p) }
        if let p = r.maxLeverage { key("maxLeverage", first: &f); param(p) }
        if let p = r.maxOpenRisk { key("maxOpenRisk", first: &f); param(p) }
        if let p = r.maxPosition { key("maxPosition", first: &f); param(p) }
        if let p = r.maxTradeRisk { key("maxTradeRisk", first: &f); param(p) }
        raw("}")
    }
}

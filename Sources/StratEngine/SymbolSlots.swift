/// Symbols numbered in the order they are first registered, so that engine
/// tables can be arrays indexed by slot rather than dictionaries keyed by name.
///
///     var slots = SymbolSlots()
///     let k = slots.register("BTCUSDT")     // 0, and from now on:
///     slots.find("BTCUSDT")                 // 0
///
/// The last symbol found is remembered: a run asks for one symbol many times
/// over (every order and fill), and comparing names costs far less than
/// hashing one.
struct SymbolSlots {
    private var slots: [String: Int] = [:]
    private var last: (symbol: String, slot: Int)?

    var count: Int { slots.count }

    /// The symbol's slot, or nil if it has none.
    mutating func find(_ symbol: String) -> Int? {
        if let last, last.symbol == symbol { return last.slot }
        guard let k = slots[symbol] else { return nil }
        last = (symbol, k)
        return k
    }

    /// The symbol's slot, the next free one if it had none.
    mutating func register(_ symbol: String) -> Int {
        if let k = find(symbol) { return k }
        slots[symbol] = slots.count
        return slots.count - 1
    }
}

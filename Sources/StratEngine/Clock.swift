import StratMarket

/// The global clock: merges bar streams (one per symbol, all of one bar length)
/// into events in time order. An event is keyed by the bars' close time, so a
/// bar is delivered when it has closed; bars of several streams that close at
/// the same time are one event, in stream order (the tie-break rule: the order
/// the streams were given, which the backtest sorts by symbol). Engine code reads
/// time only from `now`.
public struct Clock {
    let streams: [[Bar]]
    let interval: Int64
    var positions: [Int]
    public private(set) var now: Int64 = .min

    public init(streams: [[Bar]], interval: Int64) {
        self.streams = streams
        self.interval = interval
        positions = streams.map { _ in 0 }
    }

    /// The next event's close time, its bars written into `bars` (one slot per
    /// stream; the buffer is reused, so the loop allocates nothing per bar).
    public mutating func next(into bars: inout [Bar?]) -> Int64? {
        var earliest = Int64.max
        for s in streams.indices where positions[s] < streams[s].count {
            earliest = min(earliest, streams[s][positions[s]].time)
        }
        guard earliest != .max else { return nil }
        if bars.count != streams.count { bars = streams.map { _ in nil } }
        for s in streams.indices {
            if positions[s] < streams[s].count, streams[s][positions[s]].time == earliest {
                bars[s] = streams[s][positions[s]]
                positions[s] += 1
            } else {
                bars[s] = nil
            }
        }
        now = earliest + interval
        return now
    }
}

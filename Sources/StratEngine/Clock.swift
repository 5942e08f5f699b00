import StratMarket

/// The global clock: merges bar streams (one per symbol, all of one bar length)
/// into events in time order. An event is keyed by the bars' close time, so a
/// bar is delivered when it has closed; bars of several streams that close at
/// the same time are one event, in stream order (the tie-break rule: the order
/// the streams were given, which the backtest sorts by symbol). Engine code reads
/// time only from `now`.
public struct Clock {
    public struct Event {
        /// Close time of the bars in this event (ms).
        public var time: Int64
        /// One slot per stream; nil where that stream has no bar closing now.
        public var bars: [Bar?]
    }

    let streams: [[Bar]]
    let interval: Int64
    var positions: [Int]
    public private(set) var now: Int64 = .min

    public init(streams: [[Bar]], interval: Int64) {
        self.streams = streams
        self.interval = interval
        positions = streams.map { _ in 0 }
    }

    public mutating func next() -> Event? {
        var earliest = Int64.max
        for (s, bars) in streams.enumerated() where positions[s] < bars.count {
            earliest = min(earliest, bars[positions[s]].time)
        }
        guard earliest != .max else { return nil }
        var event = Event(time: earliest + interval, bars: streams.map { _ in nil })
        for (s, bars) in streams.enumerated() where positions[s] < bars.count && bars[positions[s]].time == earliest {
            event.bars[s] = bars[positions[s]]
            positions[s] += 1
        }
        now = event.time
        return event
    }
}

import StratMarket

/// The global clock: merges bar streams (one per symbol) into events in time
/// order. An event is keyed by the bars' close time, so a bar is delivered
/// when it has closed; bars of several streams that close at the same time are
/// one event, in stream order (the tie-break rule: the order the streams were
/// given, which the backtest sorts by symbol). Engine code reads time only
/// from `now`.
public struct Clock {
    let streams: [[Bar]]
    /// When each bar closes (for monthly bars, where the next one begins).
    let ends: [[Int64]]
    var positions: [Int]
    public private(set) var now: Int64 = .min

    /// `ends[s][i]`: the close time of bar i of stream s.
    public init(streams: [[Bar]], ends: [[Int64]]) {
        self.streams = streams
        self.ends = ends
        positions = streams.map { _ in 0 }
    }

    /// Streams of bars that all last `interval` ms.
    public init(streams: [[Bar]], interval: Int64) {
        self.init(streams: streams, ends: streams.map { $0.map { $0.time + interval } })
    }

    /// One stream: moves past its next `count` bars, which the caller has
    /// handled itself (a backtest's bars on which nothing can happen).
    public mutating func skip(_ count: Int) {
        precondition(streams.count == 1 && count >= 0 && positions[0] + count <= streams[0].count, "skipping bars of one stream only")
        guard count > 0 else { return }
        positions[0] += count
        now = ends[0][positions[0] - 1]
    }

    /// The next event's close time, its bars written into `bars` (one slot per
    /// stream; the buffer is reused, so the loop allocates nothing per bar).
    public mutating func next(into bars: inout [Bar?]) -> Int64? {
        if streams.count == 1, bars.count == 1 {
            // One stream: its next bar (most runs, on every bar).
            let p = positions[0]
            guard p < streams[0].count else { return nil }
            bars[0] = streams[0][p]
            positions[0] = p + 1
            now = ends[0][p]
            return now
        }
        var earliest = Int64.max
        for s in streams.indices where positions[s] < streams[s].count {
            earliest = min(earliest, ends[s][positions[s]])
        }
        guard earliest != .max else { return nil }
        if bars.count != streams.count { bars = streams.map { _ in nil } }
        for s in streams.indices {
            if positions[s] < streams[s].count, ends[s][positions[s]] == earliest {
                bars[s] = streams[s][positions[s]]
                positions[s] += 1
            } else {
                bars[s] = nil
            }
        }
        now = earliest
        return now
    }
}

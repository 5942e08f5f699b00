/// The last `capacity` values of a series, newest first by age. The storage
/// grows with the values until it holds `capacity` of them (doubling, so a push
/// allocates only O(log capacity) times), then stays: a window longer than the
/// data holds no more than the data. (Allocated whole up front, 2,000 windows
/// of 1,000,000 bars took 16 GB for 2,148 bars.)
public struct Window: Sendable {
    var storage: [Double] = []
    var head = 0          // where the next value goes
    public private(set) var count = 0
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 1, "a window holds at least one value")
        self.capacity = capacity
        storage.reserveCapacity(Swift.min(capacity, 16))
    }

    public var isFull: Bool { count == capacity }

    /// Appends `x` and returns the value that fell out (NaN while not yet full).
    @discardableResult
    public mutating func push(_ x: Double) -> Double {
        if count < capacity {
            // Filling: values go in order, so the next slot is the end.
            if storage.count == storage.capacity {
                storage.reserveCapacity(Swift.min(capacity, Swift.max(16, 2 * storage.count)))
            }
            storage.append(x)
            count += 1
            head = count == capacity ? 0 : count
            return .nan
        }
        let evicted = storage[head]
        storage[head] = x
        head += 1
        if head == capacity { head = 0 }
        return evicted
    }

    /// The value `age` bars ago (0 is the newest); NaN beyond what is held.
    public subscript(age: Int) -> Double {
        guard age >= 0, age < count else { return .nan }
        var i = head - 1 - age
        if i < 0 { i += capacity }
        return storage[i]
    }

    /// The oldest value held.
    public var oldest: Double { self[count - 1] }

    /// Values held in storage (at most `capacity`; fewer while filling).
    public var allocated: Int { storage.capacity }

    public mutating func reset() {
        head = 0
        count = 0
        storage.removeAll(keepingCapacity: true)
    }
}

/// Running maximum (or minimum) of the last `length` values in amortised O(1):
/// a monotonic deque of (sequence number, value) in a ring. On ties the most
/// recent bar wins, as in TA-Lib's AROON. The ring grows as the deque does (it
/// holds fewer than `length` entries, and no more than values pushed).
public struct RollingExtreme: Sendable {
    var values: [Double]
    var seqs: [Int]
    var front = 0
    var size = 0
    var seq = -1
    var capacity: Int
    public let length: Int
    public let isMax: Bool

    public init(length: Int, max: Bool) {
        precondition(length >= 1)
        self.length = length
        self.isMax = max
        capacity = Swift.min(length, 16)
        values = [Double](repeating: 0, count: capacity)
        seqs = [Int](repeating: 0, count: capacity)
    }

    /// Number of values pushed so far.
    public var pushed: Int { seq + 1 }

    func slot(_ k: Int) -> Int { let i = front + k; return i >= capacity ? i - capacity : i }

    public mutating func push(_ x: Double) {
        seq += 1
        if size > 0, seqs[front] <= seq - length {
            front = front + 1 == capacity ? 0 : front + 1
            size -= 1
        }
        while size > 0 {
            let back = values[slot(size - 1)]
            if isMax ? back <= x : back >= x { size -= 1 } else { break }
        }
        if size == capacity { grow() }
        let i = slot(size)
        values[i] = x
        seqs[i] = seq
        size += 1
    }

    /// Doubles the ring (up to `length`), its entries moved to the start in order.
    mutating func grow() {
        let larger = Swift.min(length, 2 * capacity)
        var v = [Double](repeating: 0, count: larger), q = [Int](repeating: 0, count: larger)
        for k in 0..<size { v[k] = values[slot(k)]; q[k] = seqs[slot(k)] }
        values = v
        seqs = q
        front = 0
        capacity = larger
    }

    /// The extreme of the last `length` values (of fewer before the window fills).
    public var value: Double { values[front] }
    /// Bars since the extreme (0 when it is the newest value).
    public var age: Int { seq - seqs[front] }
}

/// TA-Lib's test for "zero" in its divisions (ta_utility.h).
let taEpsilon = 1e-14
func taIsZero(_ v: Double) -> Bool { -taEpsilon < v && v < taEpsilon }
func taIsZeroOrNeg(_ v: Double) -> Bool { v < taEpsilon }
/// Zero relative to the operands of a difference (`scale` = |a| + |b|).
func taIsZeroScaled(_ v: Double, _ scale: Double) -> Bool { abs(v) <= taEpsilon * scale }

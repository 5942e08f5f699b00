import StratMarket

/// What a run did not do that a rule asked for, and why: an entry while already
/// in the position, an exit with nothing to exit, an order the exchange
/// rejected, an order still open at the end. Each kind is counted and its
/// first few occurrences kept with their time and source line, so nothing a
/// strategy asks for disappears without a word.
public struct Notices: Sendable {
    public struct Example: Sendable, Equatable {
        public var time: Int64
        public var line: Int?
        public var detail: String?
    }
    public struct Kind: Sendable, Equatable {
        public var message: String
        public var count: Int
        public var examples: [Example]
    }
    /// How many occurrences of a kind are listed.
    public static let examplesKept = 3
    public private(set) var kinds: [Kind] = []
    var index: [String: Int] = [:]

    public init() {}

    public var total: Int { kinds.reduce(0) { $0 + $1.count } }

    public mutating func note(_ message: String, at time: Int64, line: Int?, detail: String? = nil) {
        let k = index[message] ?? {
            index[message] = kinds.count
            kinds.append(Kind(message: message, count: 0, examples: []))
            return kinds.count - 1
        }()
        kinds[k].count += 1
        if kinds[k].examples.count < Self.examplesKept { kinds[k].examples.append(Example(time: time, line: line, detail: detail)) }
    }

    /// One line per kind: the count, the reason, and the first occurrences.
    public var lines: [String] {
        kinds.map { k in
            let shown = k.examples.map { e in
                UTCTime.format(e.time) + (e.line.map { " (line \($0))" } ?? "") + (e.detail.map { ": \($0)" } ?? "")
            }
            let more = k.count > k.examples.count ? ", …" : ""
            return "\(k.count) × \(k.message): \(shown.joined(separator: "; "))\(more)"
        }
    }
}

import Foundation

/// One side of an order book at a moment: price levels, best first.
public struct BookLevel: Sendable, Equatable {
    public var price: Double
    public var quantity: Double
    public init(price: Double, quantity: Double) { self.price = price; self.quantity = quantity }
}

/// An L2 snapshot: the bids (highest first) and asks (lowest first) at `time`.
public struct BookSnapshot: Sendable, Equatable {
    public var time: Int64
    public var bids: [BookLevel]
    public var asks: [BookLevel]
    public init(time: Int64, bids: [BookLevel], asks: [BookLevel]) { self.time = time; self.bids = bids; self.asks = asks }
}

/// Reads order-book snapshots from CSV, the shape of an exchange's depth
/// snapshot flattened to one level a row:
///
///     time,side,price,quantity
///     2024-01-01T00:00:00Z,bid,99.5,3
///     2024-01-01T00:00:00Z,ask,100.5,2
///     2024-01-01T00:00:00Z,ask,101,5
///
/// Rows of one time are one snapshot (in time order, each strictly later than
/// the last); `side` is `bid` or `ask` (`buy`/`sell`, `b`/`a` too); prices and
/// quantities are positive. Every defect names the file, the line and the field.
public enum DepthCSV {
    public static func read(path: String) throws -> [BookSnapshot] {
        try parse(String(decoding: BarCSV.load(path: path), as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> [BookSnapshot] {
        // "\r\n" is one Character in Swift: split on it as well as on "\n".
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first else { throw BarCSV.Error(file: file, line: 0, field: nil, message: "empty file; expected a header `time,side,price,quantity`") }
        let names = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var column: [String: Int] = [:]
        for (i, n) in names.enumerated() { column[n] = i }
        for need in ["time", "side", "price", "quantity"] where column[need] == nil {
            throw BarCSV.Error(file: file, line: 1, field: nil, message: "no `\(need)` column; expected a header `time,side,price,quantity`")
        }
        var out: [BookSnapshot] = []
        for (k, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let n = k + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            func field(_ name: String) throws -> String {
                let i = column[name]!
                guard i < fields.count else { throw BarCSV.Error(file: file, line: n, field: name, message: "missing; the row has \(fields.count) fields") }
                return fields[i]
            }
            guard let time = UTCTime.parse(Substring(try field("time"))) else {
                throw BarCSV.Error(file: file, line: n, field: "time", message: "`\(try field("time"))` is not an ISO-8601 UTC time or epoch milliseconds")
            }
            let side = try field("side").lowercased()
            let bid = ["bid", "buy", "b"].contains(side)
            guard bid || ["ask", "sell", "a"].contains(side) else {
                throw BarCSV.Error(file: file, line: n, field: "side", message: "`\(side)` is not `bid` or `ask`")
            }
            func positive(_ name: String) throws -> Double {
                let s = try field(name)
                guard let v = Double(s), v.isFinite, v > 0 else {
                    throw BarCSV.Error(file: file, line: n, field: name, message: "`\(s)` is not a positive number")
                }
                return v
            }
            let level = BookLevel(price: try positive("price"), quantity: try positive("quantity"))
            if let last = out.last, last.time == time {
                if bid { out[out.count - 1].bids.append(level) } else { out[out.count - 1].asks.append(level) }
            } else {
                if let last = out.last, time < last.time {
                    throw BarCSV.Error(file: file, line: n, field: "time", message: "snapshots must be in time order; this one is before the last")
                }
                out.append(BookSnapshot(time: time, bids: bid ? [level] : [], asks: bid ? [] : [level]))
            }
        }
        guard !out.isEmpty else { throw BarCSV.Error(file: file, line: 0, field: nil, message: "no snapshots") }
        for i in out.indices {
            out[i].bids.sort { $0.price > $1.price }
            out[i].asks.sort { $0.price < $1.price }
        }
        return out
    }
}

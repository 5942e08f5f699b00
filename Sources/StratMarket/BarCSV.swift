import Foundation

/// Reads bars from CSV: a header naming at least `time,open,high,low,close,volume`
/// (any order, extra columns ignored), one bar per row, time as ISO-8601 UTC or
/// epoch milliseconds, rows in strictly increasing time. Every defect is an error
/// naming the file, the line and the field; no row is skipped.
public enum BarCSV {
    public static let requiredColumns = ["time", "open", "high", "low", "close", "volume"]

    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var file: String
        public var line: Int
        public var field: String?
        public var message: String
        public var description: String {
            "\(file):\(line): " + (field.map { "field `\($0)`: " } ?? "") + message
        }
    }

    public static func read(path: String, symbol: String? = nil) throws -> BarSeries {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Error(file: path, line: 0, field: nil, message: "cannot read the file")
        }
        let name = symbol ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(bytes: [UInt8](data), file: path, symbol: name)
    }

    public static func parse(_ text: String, file: String, symbol: String) throws -> BarSeries {
        try parse(bytes: Array(text.utf8), file: file, symbol: symbol)
    }

    /// Parses straight from the bytes (a million rows in a fraction of a second);
    /// only a line with quotes takes the slower, general path.
    public static func parse(bytes: [UInt8], file: String, symbol: String) throws -> BarSeries {
        try bytes.withUnsafeBufferPointer { buf in
            var lineStarts: [Int] = [0]
            lineStarts.reserveCapacity(buf.count / 40)
            if let base = buf.baseAddress {
                let start = UnsafeRawPointer(base)
                var offset = 0
                while offset < buf.count, let nl = memchr(start + offset, 10, buf.count - offset) {
                    let at: Int = UnsafeRawPointer(nl) - start
                    lineStarts.append(at + 1)
                    offset = at + 1
                }
            }
            func lineRange(_ k: Int) -> Range<Int> {
                var end = k + 1 < lineStarts.count ? lineStarts[k + 1] - 1 : buf.count
                if end > lineStarts[k], buf[end - 1] == 13 { end -= 1 }
                return lineStarts[k]..<end
            }
            func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self) }
            var count = lineStarts.count
            if lineRange(count - 1).isEmpty { count -= 1 }   // the final newline
            guard count > 0, !text(lineRange(0)).trimmingCharacters(in: .whitespaces).isEmpty else {
                throw Error(file: file, line: 1, field: nil, message: "the file is empty; expected a header `time,open,high,low,close,volume`")
            }
            let header = try fields(of: Substring(text(lineRange(0))), file: file, line: 1)
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            var index: [Int] = []
            for name in requiredColumns {
                guard let i = header.firstIndex(of: name) else {
                    throw Error(file: file, line: 1, field: nil,
                                message: "the header has no `\(name)` column; expected `time,open,high,low,close,volume` (extra columns are allowed)")
                }
                index.append(i)
            }
            let bidAsk = header.firstIndex(of: "bid").flatMap { b in header.firstIndex(of: "ask").map { (b, $0) } }
            let names = Array(requiredColumns.dropFirst())
            /// Parses lines `ks` (0-based line indexes) into one chunk of bars.
            func parseRows(_ ks: Range<Int>) throws -> Chunk {
            var bars: [Bar] = [], sourceLines: [Int] = [], spreads: [Double] = []
            bars.reserveCapacity(ks.count)
            sourceLines.reserveCapacity(ks.count)
            var cells = [Range<Int>](repeating: 0..<0, count: header.count)
            var v = [Double](repeating: 0, count: 5)
            for k in ks {
                let line = k + 1
                let r = lineRange(k)
                if r.allSatisfy({ buf[$0] == 32 }) {
                    throw Error(file: file, line: line, field: nil, message: "empty row; expected \(header.count) fields")
                }
                var quoted: [String]? = nil
                if buf[r].contains(34) {
                    quoted = try fields(of: Substring(text(r)), file: file, line: line)
                    guard quoted!.count == header.count else {
                        throw Error(file: file, line: line, field: nil, message: "\(quoted!.count) fields, but the header has \(header.count)")
                    }
                } else {
                    var n = 0, start = r.lowerBound
                    for i in r where buf[i] == 44 {
                        if n < cells.count { cells[n] = start..<i }
                        n += 1
                        start = i + 1
                    }
                    if n < cells.count { cells[n] = start..<r.upperBound }
                    n += 1
                    guard n == header.count else {
                        throw Error(file: file, line: line, field: nil, message: "\(n) fields, but the header has \(header.count)")
                    }
                }
                // One cell as bytes (and as text for messages).
                func cell(_ c: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Double?) -> Double? {
                    if let q = quoted { return Array(q[c].utf8).withUnsafeBufferPointer(body) }
                    return body(UnsafeBufferPointer(rebasing: buf[cells[c]]))
                }
                func cellText(_ c: Int) -> String {
                    (quoted?[c] ?? text(cells[c])).trimmingCharacters(in: .whitespaces)
                }
                var time: Int64 = 0
                let parsedTime: Int64? = {
                    if let q = quoted { return UTCTime.parse(Substring(q[index[0]].trimmingCharacters(in: .whitespaces))) }
                    var c = cells[index[0]]
                    while c.lowerBound < c.upperBound, buf[c.lowerBound] == 32 { c = (c.lowerBound + 1)..<c.upperBound }
                    while c.upperBound > c.lowerBound, buf[c.upperBound - 1] == 32 { c = c.lowerBound..<(c.upperBound - 1) }
                    return UTCTime.parse(UnsafeBufferPointer(rebasing: buf[c]))
                }()
                guard let t = parsedTime else {
                    throw Error(file: file, line: line, field: "time",
                                message: "`\(cellText(index[0]))` is not a time; expected ISO-8601 UTC (2024-01-31T12:00:00Z) or epoch milliseconds")
                }
                time = t
                for j in 0..<5 {
                    guard let x = cell(index[j + 1], FastNumber.double) else {
                        let raw = cellText(index[j + 1])
                        throw Error(file: file, line: line, field: names[j],
                                    message: raw.isEmpty ? "empty; expected a number" : "`\(raw)` is not a finite number")
                    }
                    v[j] = x
                }
                let bar = Bar(time: time, open: v[0], high: v[1], low: v[2], close: v[3], volume: v[4])
                try check(bar, file: file, line: line)
                if let last = bars.last, time <= last.time {
                    throw Error(file: file, line: line, field: "time",
                                message: "\(UTCTime.format(time)) is not after the previous row's \(UTCTime.format(last.time)) (line \(sourceLines.last!)); rows must be in increasing time without duplicates")
                }
                if let (b, a) = bidAsk {
                    guard let bid = cell(b, FastNumber.double), let ask = cell(a, FastNumber.double), bid > 0, ask >= bid else {
                        throw Error(file: file, line: line, field: "bid", message: "bid and ask must be numbers with 0 < bid <= ask")
                    }
                    spreads.append((ask - bid) / (ask + bid))
                }
                bars.append(bar)
                sourceLines.append(line)
            }
            return Chunk(bars: bars, lines: sourceLines, spreads: spreads)
            }

            // Large files parse in two halves on two cores; a defect is reported
            // from the earliest line either way.
            let chunks: [Chunk]
            if count > 200_000 {
                let mid = count / 2, end = count
                // Each thread writes its own slot of a fixed buffer (not a shared array).
                nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Result<Chunk, Swift.Error>>.allocate(capacity: 2)
                results.initialize(repeating: .success(Chunk()))
                defer { results.deinitialize(); results.deallocate() }
                nonisolated(unsafe) let parse = parseRows
                DispatchQueue.concurrentPerform(iterations: 2) { part in
                    let r = Result { try parse(part == 0 ? 1..<mid : mid..<end) }
                    results[part] = r
                }
                chunks = [try results[0].get(), try results[1].get()].filter { !$0.bars.isEmpty } as [Chunk]
                if chunks.count == 2, let last = chunks[0].bars.last, let first = chunks[1].bars.first, first.time <= last.time {
                    throw Error(file: file, line: chunks[1].lines[0], field: "time",
                                message: "\(UTCTime.format(first.time)) is not after the previous row's \(UTCTime.format(last.time)) (line \(chunks[0].lines.last!)); rows must be in increasing time without duplicates")
                }
            } else {
                chunks = [try parseRows(1..<max(1, count))]
            }
            let bars = chunks.count == 1 ? chunks[0].bars : chunks.flatMap(\.bars)
            let sourceLines = chunks.count == 1 ? chunks[0].lines : chunks.flatMap(\.lines)
            let spreads = chunks.flatMap(\.spreads)
            return BarSeries(symbol: symbol, bars: bars, lines: sourceLines, halfSpreads: bidAsk == nil ? nil : spreads)
        }
    }

    struct Chunk {
        var bars: [Bar] = []
        var lines: [Int] = []
        var spreads: [Double] = []
    }

    static func check(_ b: Bar, file: String, line: Int) throws {
        func fail(_ field: String, _ message: String) -> Error { Error(file: file, line: line, field: field, message: message) }
        if b.open <= 0 { throw fail("open", "must be positive, got \(b.open)") }
        if b.high <= 0 { throw fail("high", "must be positive, got \(b.high)") }
        if b.low <= 0 { throw fail("low", "must be positive, got \(b.low)") }
        if b.close <= 0 { throw fail("close", "must be positive, got \(b.close)") }
        if b.volume < 0 { throw fail("volume", "must not be negative, got \(b.volume)") }
        if b.low > b.high { throw fail("low", "\(b.low) is above high \(b.high)") }
        if b.high < max(b.open, b.close) { throw fail("high", "\(b.high) is below max(open, close) = \(max(b.open, b.close))") }
        if b.low > min(b.open, b.close) { throw fail("low", "\(b.low) is above min(open, close) = \(min(b.open, b.close))") }
    }

    /// Splits one CSV line; fields may be double-quoted (`""` is a quote inside one).
    public static func fields(of line: Substring, file: String, line number: Int) throws -> [String] {
        var line = line
        if line.last == "\r" { line = line.dropLast() }
        if !line.contains("\"") { return line.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        var out: [String] = []
        var current = ""
        var quoted = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if quoted {
                if c == "\"" {
                    let next = line.index(after: i)
                    if next < line.endIndex, line[next] == "\"" { current.append("\""); i = next } else { quoted = false }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                out.append(current)
                current = ""
            } else {
                current.append(c)
            }
            i = line.index(after: i)
        }
        if quoted { throw Error(file: file, line: number, field: nil, message: "a quoted field is not closed") }
        out.append(current)
        return out
    }
}

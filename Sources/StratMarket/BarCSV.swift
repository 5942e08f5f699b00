import Foundation

/// Reads bars from CSV: a header naming at least `time,open,high,low,close,volume`
/// (any order, extra columns ignored), one bar per row, time as ISO-8601 UTC or
/// epoch milliseconds, rows in strictly increasing time. Every defect is an error
/// naming the file, the line and the field; no row is skipped.
public enum BarCSV {
    public static let requiredColumns = ["time", "open", "high", "low", "close", "volume"]

    /// The unit of integer times. Without one, integers are milliseconds and must
    /// look like them (1973–5138): seconds, microseconds and nanoseconds are told
    /// apart by magnitude and refused with the likely unit.
    public enum TimeUnit: String, CaseIterable, Sendable {
        case s, ms, us, ns

        /// Milliseconds of `n` in this unit (floored), or nil if it overflows.
        func milliseconds(_ n: Int64) -> Int64? {
            switch self {
            case .s: let (v, o) = n.multipliedReportingOverflow(by: 1000); return o ? nil : v
            case .ms: return n
            case .us: return floored(n, 1000)
            case .ns: return floored(n, 1_000_000)
            }
        }

        /// n / d rounded down; unlike negating n first, safe for Int64.min.
        private func floored(_ n: Int64, _ d: Int64) -> Int64 {
            let (q, r) = n.quotientAndRemainder(dividingBy: d)
            return r < 0 ? q - 1 : q
        }

        var name: String {
            switch self {
            case .s: "seconds"
            case .ms: "milliseconds"
            case .us: "microseconds"
            case .ns: "nanoseconds"
            }
        }

        /// Times that can be written as ISO-8601 (years 0000 to 9999), in ms:
        /// far from overflowing when bar lengths and latencies are added.
        static let writable: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

        /// The unit an integer time most likely has: milliseconds from 1973-03-03
        /// to the year 5138 (either side of 1970), seconds below, micro- and
        /// nanoseconds above.
        static func guess(_ n: Int64) -> TimeUnit {
            let m = n.magnitude
            if m < 100_000_000_000 { return .s }
            if m < 100_000_000_000_000 { return .ms }
            if m < 100_000_000_000_000_000 { return .us }
            return .ns
        }
    }

    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var file: String
        public var line: Int
        public var field: String?
        public var message: String
        public var description: String {
            "\(file)" + (line > 0 ? ":\(line)" : "") + ": " + (field.map { "field `\($0)`: " } ?? "") + message
        }
    }

    /// `strict: false` keeps rows that break OHLC integrity or time order (the
    /// data layer's validation decides what to do with them); malformed fields are
    /// errors either way.
    public static func read(path: String, symbol: String? = nil, strict: Bool = true, timeUnit: TimeUnit? = nil) throws -> BarSeries {
        let data = try load(path: path)
        let name = symbol ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(data: data, file: path, symbol: name, strict: strict, timeUnit: timeUnit)
    }

    /// The file's bytes, mapped; a missing file, a directory or an unreadable
    /// one is an error saying which.
    public static func load(path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Error(file: path, line: 0, field: nil, message: "no such file")
        }
        guard !isDirectory.boolValue else { throw Error(file: path, line: 0, field: nil, message: "is a directory; expected a CSV file of bars") }
        do { return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw Error(file: path, line: 0, field: nil, message: "cannot read the file: \(posixReason(error))")
        }
    }

    /// Parses the bytes of `data` in place (a mapped file is not copied).
    public static func parse(data: Data, file: String, symbol: String, strict: Bool = true, timeUnit: TimeUnit? = nil) throws -> BarSeries {
        try data.withUnsafeBytes { raw in
            try parse(buffer: raw.bindMemory(to: UInt8.self), file: file, symbol: symbol, strict: strict, timeUnit: timeUnit)
        }
    }

    public static func parse(_ text: String, file: String, symbol: String) throws -> BarSeries {
        try parse(bytes: Array(text.utf8), file: file, symbol: symbol)
    }

    /// Parses straight from the bytes (a million rows in a fraction of a second);
    /// only a line with quotes takes the slower, general path.
    public static func parse(bytes: [UInt8], file: String, symbol: String) throws -> BarSeries {
        try bytes.withUnsafeBufferPointer { try parse(buffer: $0, file: file, symbol: symbol) }
    }

    static func parse(buffer buf: UnsafeBufferPointer<UInt8>, file: String, symbol: String, strict: Bool = true,
                      timeUnit: TimeUnit? = nil) throws -> BarSeries {
        do {
            // A UTF-8 byte-order mark (as spreadsheets write) is skipped; UTF-16 is refused.
            let bom = buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF ? 3 : 0
            if buf.count >= 2, (buf[0] == 0xFF && buf[1] == 0xFE) || (buf[0] == 0xFE && buf[1] == 0xFF) {
                throw Error(file: file, line: 1, field: nil, message: "the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8 CSV")
            }
            var lineStarts: [Int] = [bom]
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
                                message: "the header has no `\(name)` column; expected `time,open,high,low,close,volume` (extra columns are allowed)"
                                    + separatorHint(text(lineRange(0))))
                }
                index.append(i)
            }
            if count == 1 {
                throw Error(file: file, line: 1, field: nil, message: "no bars: the file has a header but no rows")
            }
            let bidAsk = header.firstIndex(of: "bid").flatMap { b in header.firstIndex(of: "ask").map { (b, $0) } }
            let names = Array(requiredColumns.dropFirst())
            /// Parses lines `ks` (0-based line indexes; line k is bar k − 1) straight
            /// into the result's storage.
            func parseRows(_ ks: Range<Int>, _ out: Storage) throws {
            var cells = [Range<Int>](repeating: 0..<0, count: header.count)
            var v = [Double](repeating: 0, count: 5)
            for k in ks {
                let line = k + 1
                let r = lineRange(k)
                if r.allSatisfy({ buf[$0] == 32 }) {
                    throw Error(file: file, line: line, field: nil, message: "empty row; expected \(header.count) fields")
                }
                var quoted: [String]? = nil
                // One pass finds the commas; a quote sends the line to the general path.
                var n = 0, start = r.lowerBound, hasQuote = false
                for i in r {
                    let c = buf[i]
                    if c == 44 {
                        if n < cells.count { cells[n] = start..<i }
                        n += 1
                        start = i + 1
                    } else if c == 34 {
                        hasQuote = true
                        break
                    }
                }
                if hasQuote {
                    quoted = try fields(of: Substring(text(r)), file: file, line: line)
                    guard quoted!.count == header.count else {
                        throw Error(file: file, line: line, field: nil, message: "\(quoted!.count) fields, but the header has \(header.count)")
                    }
                } else {
                    if n < cells.count { cells[n] = start..<r.upperBound }
                    n += 1
                    guard n == header.count else {
                        throw Error(file: file, line: line, field: nil, message: "\(n) fields, but the header has \(header.count)" + separatorHint(text(r)))
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
                var c = quoted == nil ? cells[index[0]] : 0..<0
                if quoted == nil {
                    while c.lowerBound < c.upperBound, buf[c.lowerBound] == 32 { c = (c.lowerBound + 1)..<c.upperBound }
                    while c.upperBound > c.lowerBound, buf[c.upperBound - 1] == 32 { c = c.lowerBound..<(c.upperBound - 1) }
                }
                let quotedTime = quoted.map { Array($0[index[0]].trimmingCharacters(in: .whitespaces).utf8) }
                let parsedTime: Int64?
                let integer: Int64? = quotedTime.map { $0.withUnsafeBufferPointer(epochInteger) } ?? epochInteger(UnsafeBufferPointer(rebasing: buf[c]))
                if let n = integer {
                    if let unit = timeUnit {
                        guard let ms = unit.milliseconds(n), TimeUnit.writable.contains(ms) else {
                            throw Error(file: file, line: line, field: "time", message: "`\(n)` \(unit.name) is out of range; times must fall in the years 0000 to 9999")
                        }
                        parsedTime = ms
                    } else if TimeUnit.guess(n) == .ms {
                        parsedTime = n
                    } else {
                        throw Error(file: file, line: line, field: "time", message: unitMessage(n))
                    }
                } else {
                    parsedTime = quotedTime.map { $0.withUnsafeBufferPointer(UTCTime.parseISO) } ?? UTCTime.parseISO(UnsafeBufferPointer(rebasing: buf[c]))
                }
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
                if strict { try check(bar, file: file, line: line) }
                if strict, k > ks.lowerBound, time <= out.bars[k - 2].time {
                    throw Error(file: file, line: line, field: "time",
                                message: "\(UTCTime.format(time)) is not after the previous row's \(UTCTime.format(out.bars[k - 2].time)) (line \(line - 1)); rows must be in increasing time without duplicates")
                }
                if let (b, a) = bidAsk {
                    guard let bid = cell(b, FastNumber.double), let ask = cell(a, FastNumber.double), bid > 0, ask >= bid else {
                        throw Error(file: file, line: line, field: "bid", message: "bid and ask must be numbers with 0 < bid <= ask")
                    }
                    out.spreads?[k - 1] = (ask - bid) / (ask + bid)
                }
                out.bars[k - 1] = bar
            }
            }

            // Large files parse in two halves on two cores, each writing its own rows
            // of one array; a defect is reported from the earliest line either way.
            let n = max(0, count - 1)
            var spreads = [Double](repeating: 0, count: bidAsk == nil ? 0 : n)
            let bars = try [Bar](unsafeUninitializedCapacity: n) { barBuffer, initialized in
                initialized = n      // Bar is a plain value: nothing to clean up on a throw
                try spreads.withUnsafeMutableBufferPointer { spreadBuffer in
                    let out = Storage(bars: barBuffer.baseAddress!, spreads: spreadBuffer.baseAddress)
                    guard n > 0 else { return }
                    if count > 200_000 {
                        let mid = count / 2, end = count
                        nonisolated(unsafe) let errors = UnsafeMutableBufferPointer<Swift.Error?>.allocate(capacity: 2)
                        errors.initialize(repeating: nil)
                        defer { errors.deinitialize(); errors.deallocate() }
                        nonisolated(unsafe) let parse = parseRows
                        DispatchQueue.concurrentPerform(iterations: 2) { part in
                            do { try parse(part == 0 ? 1..<mid : mid..<end, out) } catch { errors[part] = error }
                        }
                        if let e = errors[0] { throw e }
                        let last = out.bars[mid - 2], first = out.bars[mid - 1]
                        if strict, first.time <= last.time {
                            throw Error(file: file, line: mid + 1, field: "time",
                                        message: "\(UTCTime.format(first.time)) is not after the previous row's \(UTCTime.format(last.time)) (line \(mid)); rows must be in increasing time without duplicates")
                        }
                        if let e = errors[1] { throw e }
                    } else {
                        try parseRows(1..<count, out)
                    }
                }
            }
            return BarSeries(symbol: symbol, bars: bars, halfSpreads: bidAsk == nil ? nil : spreads)
        }
    }

    /// An integer time of up to 19 digits (nanoseconds since 1970 have 19), or
    /// nil if the text is not one.
    static func epochInteger(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0, negative = false
        if b.count > 0, b[0] == 45 { negative = true; i = 1 }
        guard i < b.count, b.count - i <= 19 else { return nil }
        var v: Int64 = 0
        while i < b.count {
            guard b[i] >= 48, b[i] <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b[i] - 48))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return negative ? -v : v
    }

    /// Why an integer time is refused without --time-unit: the unit it most
    /// likely has, and what it would be read as.
    static func unitMessage(_ n: Int64) -> String {
        let unit = TimeUnit.guess(n)
        let asUnit = unit.milliseconds(n).map { " (\(UTCTime.format($0)))" } ?? ""
        let asMs = n.magnitude < 253_402_300_800_000 ? UTCTime.format(n) : nil     // up to the year 9999
        return "`\(n)` looks like epoch \(unit.name)\(asUnit), not milliseconds" + (asMs.map { " (\($0))" } ?? "")
            + "; pass --time-unit \(unit.rawValue), or --time-unit ms to read milliseconds all the same"
    }

    /// A note for a line that seems split by `;` or tabs rather than commas.
    static func separatorHint(_ line: String) -> String {
        if line.contains(";"), !line.contains(",") { return "; the fields seem separated by `;`, but strat reads comma-separated values with `.` for decimals" }
        if line.contains("\t"), !line.contains(",") { return "; the fields seem separated by tabs, but strat reads comma-separated values" }
        return ""
    }

    /// Where the row parsers write (disjoint rows per thread).
    struct Storage: @unchecked Sendable {
        let bars: UnsafeMutablePointer<Bar>
        let spreads: UnsafeMutablePointer<Double>?
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

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
        guard let text = String(data: data, encoding: .utf8) else {
            throw Error(file: path, line: 0, field: nil, message: "the file is not UTF-8 text")
        }
        let name = symbol ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(text, file: path, symbol: name)
    }

    public static func parse(_ text: String, file: String, symbol: String) throws -> BarSeries {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let headerLine = lines.first, !headerLine.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Error(file: file, line: 1, field: nil, message: "the file is empty; expected a header `time,open,high,low,close,volume`")
        }
        let header = try fields(of: headerLine, file: file, line: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var index: [Int] = []
        for name in requiredColumns {
            guard let i = header.firstIndex(of: name) else {
                throw Error(file: file, line: 1, field: nil,
                            message: "the header has no `\(name)` column; expected `time,open,high,low,close,volume` (extra columns are allowed)")
            }
            index.append(i)
        }
        var bars: [Bar] = []
        var sourceLines: [Int] = []
        bars.reserveCapacity(lines.count - 1)
        sourceLines.reserveCapacity(lines.count - 1)
        var previousLine = 0
        for (k, raw) in lines.enumerated().dropFirst() {
            let line = k + 1
            if raw.allSatisfy({ $0 == "\r" || $0 == " " }) {
                throw Error(file: file, line: line, field: nil, message: "empty row; expected \(header.count) fields")
            }
            let f = try fields(of: raw, file: file, line: line)
            guard f.count == header.count else {
                throw Error(file: file, line: line, field: nil, message: "\(f.count) fields, but the header has \(header.count)")
            }
            let timeText = f[index[0]].trimmingCharacters(in: .whitespaces)
            guard let time = UTCTime.parse(Substring(timeText)) else {
                throw Error(file: file, line: line, field: "time",
                            message: "`\(timeText)` is not a time; expected ISO-8601 UTC (2024-01-31T12:00:00Z) or epoch milliseconds")
            }
            var v = [Double](repeating: 0, count: 5)
            for j in 0..<5 {
                let name = requiredColumns[j + 1]
                let cell = f[index[j + 1]].trimmingCharacters(in: .whitespaces)
                guard let x = Double(cell), x.isFinite else {
                    throw Error(file: file, line: line, field: name,
                                message: cell.isEmpty ? "empty; expected a number" : "`\(cell)` is not a finite number")
                }
                v[j] = x
            }
            let bar = Bar(time: time, open: v[0], high: v[1], low: v[2], close: v[3], volume: v[4])
            try check(bar, file: file, line: line)
            if let last = bars.last, time <= last.time {
                throw Error(file: file, line: line, field: "time",
                            message: "\(UTCTime.format(time)) is not after the previous row's \(UTCTime.format(last.time)) (line \(previousLine)); rows must be in increasing time without duplicates")
            }
            bars.append(bar)
            sourceLines.append(line)
            previousLine = line
        }
        return BarSeries(symbol: symbol, bars: bars, lines: sourceLines)
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

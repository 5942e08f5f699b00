import Foundation

/// Reads a perpetual's funding rates from CSV:
///
///     time,rate,mark
///     2024-01-01T00:00:00Z,0.0001,42283.58
///     2024-01-01T08:00:00Z,-0.00002,42526.1
///
/// `time` is when the funding is paid (ISO-8601 UTC or epoch milliseconds),
/// strictly increasing; `rate` is the rate for that payment (0.0001 = 0.01%,
/// positive: longs pay shorts), a number in (−1, 1); `mark`, optional (the
/// column, or a field left empty), is the mark price the payment is valued at,
/// positive. Every defect names the file, the line and the field.
public enum FundingCSV {
    public static func read(path: String) throws -> [FundingRate] {
        try parse(String(decoding: BarCSV.load(path: path), as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> [FundingRate] {
        // "\r\n" is one Character in Swift: split on it as well as on "\n".
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard var header = lines.first else { throw BarCSV.Error(file: file, line: 0, field: nil, message: "empty file; expected a header `time,rate` or `time,rate,mark`") }
        if header.hasPrefix("\u{FEFF}") { header = header.dropFirst() }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var column: [String: Int] = [:]
        for (i, n) in names.enumerated() where column[n] == nil { column[n] = i }
        for need in ["time", "rate"] where column[need] == nil {
            throw BarCSV.Error(file: file, line: 1, field: nil, message: "no `\(need)` column; expected a header `time,rate` or `time,rate,mark`")
        }
        var out: [FundingRate] = []
        out.reserveCapacity(lines.count - 1)
        for (k, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let n = k + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == names.count else {
                throw BarCSV.Error(file: file, line: n, field: nil, message: "\(fields.count) fields, but the header has \(names.count)")
            }
            let timeText = fields[column["time"]!]
            guard let time = UTCTime.parse(Substring(timeText)) else {
                throw BarCSV.Error(file: file, line: n, field: "time", message: "`\(timeText)` is not an ISO-8601 UTC time or epoch milliseconds")
            }
            if let last = out.last, time <= last.time {
                throw BarCSV.Error(file: file, line: n, field: "time",
                                   message: time == last.time ? "a second rate at \(UTCTime.format(time)); each funding time comes once"
                                                              : "rates must be in time order; \(UTCTime.format(time)) is before the previous row's \(UTCTime.format(last.time))")
            }
            let rateText = fields[column["rate"]!]
            guard let rate = Double(rateText), rate.isFinite, abs(rate) < 1 else {
                throw BarCSV.Error(file: file, line: n, field: "rate", message: "`\(rateText)` is not a funding rate: a number between -1 and 1 (0.0001 is 0.01%)")
            }
            var mark: Double?
            if let i = column["mark"], !fields[i].isEmpty {
                guard let m = Double(fields[i]), m.isFinite, m > 0 else {
                    throw BarCSV.Error(file: file, line: n, field: "mark", message: "`\(fields[i])` is not a positive price (leave it empty when unknown)")
                }
                mark = m
            }
            out.append(FundingRate(time: time, rate: rate, mark: mark))
        }
        guard !out.isEmpty else { throw BarCSV.Error(file: file, line: 0, field: nil, message: "no funding rates after the header") }
        return out
    }
}

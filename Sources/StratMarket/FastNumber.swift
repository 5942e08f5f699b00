import Foundation

/// Number parsing straight from CSV bytes. Decimal text with at most 19
/// significant digits and a power of ten up to 22 converts exactly (Clinger's
/// fast path: both factors are exact doubles, so one rounding); anything else
/// goes to `strtod`. Non-finite values (`nan`, `inf`) and hex are rejected.
enum FastNumber {
    static let powers: [Double] = (0...22).map { pow(10, Double($0)) }

    static func double(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0, n = b.count
        while i < n, b[i] == 32 { i += 1 }
        while n > i, b[n - 1] == 32 || b[n - 1] == 13 { n -= 1 }
        guard i < n else { return nil }
        let start = i
        var negative = false
        if b[i] == 45 || b[i] == 43 { negative = b[i] == 45; i += 1 }
        var mantissa: UInt64 = 0, digits = 0, exponent = 0, any = false
        while i < n, b[i] >= 48, b[i] <= 57 {
            if digits < 19 { mantissa = mantissa * 10 + UInt64(b[i] - 48); if mantissa > 0 { digits += 1 } } else { exponent += 1 }
            i += 1; any = true
        }
        if i < n, b[i] == 46 {
            i += 1
            while i < n, b[i] >= 48, b[i] <= 57 {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(b[i] - 48); exponent -= 1; if mantissa > 0 { digits += 1 } }
                i += 1; any = true
            }
        }
        guard any else { return nil }
        if i < n, b[i] == 101 || b[i] == 69 {
            i += 1
            var sign = 1, e = 0, expDigits = false
            if i < n, b[i] == 45 || b[i] == 43 { sign = b[i] == 45 ? -1 : 1; i += 1 }
            while i < n, b[i] >= 48, b[i] <= 57 { e = min(e * 10 + Int(b[i] - 48), 100_000); i += 1; expDigits = true }
            guard expDigits else { return nil }
            exponent += sign * e
        }
        guard i == n else { return nil }
        if digits < 19, mantissa < (1 << 53), abs(exponent) <= 22 {
            let m = Double(mantissa)
            let v = exponent >= 0 ? m * powers[exponent] : m / powers[-exponent]
            return negative ? -v : v
        }
        // Rare: too many digits or a large exponent.
        var text = Array(b[start..<n])
        text.append(0)
        return text.withUnsafeBufferPointer { t -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            let v = t.baseAddress!.withMemoryRebound(to: CChar.self, capacity: t.count) { strtod($0, &end) }
            return v.isFinite ? v : nil
        }
    }

    /// Epoch milliseconds (digits, optional minus sign), or nil.
    static func integer(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0, negative = false
        if b.count > 0, b[0] == 45 { negative = true; i = 1 }
        guard i < b.count, b.count - i <= 18 else { return nil }
        var v: Int64 = 0
        while i < b.count {
            guard b[i] >= 48, b[i] <= 57 else { return nil }
            v = v * 10 + Int64(b[i] - 48)
            i += 1
        }
        return negative ? -v : v
    }
}

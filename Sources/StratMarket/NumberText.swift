import Foundation

/// A double as the shortest decimal text that reads back to it — the text
/// Swift's `description` gives — written straight into a byte buffer.
///
/// Reports print millions of numbers (an equity point per bar), and
/// `description` builds a String for each. For a magnitude in [1e-4, 1e15)
/// the text is the integer k = round(|v|·10^d) with d decimals, for the fewest
/// fractional digits d such that k / 10^d gives back v. Both k (< 2^53) and
/// 10^d are exact doubles and the division rounds correctly, so that quotient
/// is what a correct parser makes of the text: it round-trips, and the least d
/// is the shortest. Anything else (17 significant digits, tiny, huge) goes to
/// `description`. A test checks both agree on millions of values.
public enum NumberText {
    /// The longest text: "-1.7976931348623157e+308".
    public static let maxBytes = 24
    static let powers: [Double] = (0...22).map { d in (0..<d).reduce(1.0) { r, _ in r * 10 } }

    public static func append(_ v: Double, to out: inout [UInt8]) {
        appendWritten(to: &out) { write(v, to: $0) }
    }

    /// Writes the text of `v` at `p` (room for `maxBytes`); returns its length.
    public static func write(_ v: Double, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let a = Swift.abs(v)
        if a >= 1e-4, a < 1e15 {
            // Round-tripping is monotone in d (k·10 / 10^(d+1) is the same value), and
            // so is running out of exact integers: search for the least d that does either.
            // (Not ⌊x + ½⌋: near 2^53 the addition itself rounds, to the other
            // of two texts that both read back, and `description` picks the closer.)
            func done(_ d: Int) -> Bool {
                let x = (a * powers[d]).rounded()
                return x >= 9_007_199_254_740_992 || x / powers[d] == a
            }
            var lo = 0, hi = 17
            while lo < hi {
                let mid = (lo + hi) / 2
                if done(mid) { hi = mid } else { lo = mid + 1 }
            }
            let d = lo, x = (a * powers[d]).rounded()
            if x < 9_007_199_254_740_992, x / powers[d] == a {
                var n = 0
                if v < 0 { p[0] = 45; n = 1 }
                // Digits of k, right to left: d fractional ones, the point, the integer part.
                var k = UInt64(x)
                var digits = max(d, 1) + 1 + 1, rest = k / UInt64(powers[d])
                while rest >= 10 { digits += 1; rest /= 10 }
                var i = n + digits
                for _ in 0..<d { i -= 1; p[i] = UInt8(48 + k % 10); k /= 10 }
                if d == 0 { i -= 1; p[i] = 48 }
                i -= 1; p[i] = 46
                repeat { i -= 1; p[i] = UInt8(48 + k % 10); k /= 10 } while k > 0
                return n + digits
            }
        }
        var n = 0
        for b in v.description.utf8 { p[n] = b; n += 1 }
        return n
    }

    /// A number for people to read: at most 12 significant digits, so the
    /// binary noise of arithmetic does not show (102.55, not
    /// 102.55000000000001), and no ".0" on whole numbers. Machine output (JSON)
    /// keeps the exact round-trip text.
    public static func readable(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : v < 0 ? "-inf" : "inf" }
        let rounded = Double(String(format: "%.12g", v)) ?? v
        let text = rounded == 0 ? "0" : rounded.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}

/// Appends what `write` puts in a 32-byte scratch buffer on the stack (the
/// `append` forms of the pointer writers).
@inline(__always)
func appendWritten(to out: inout [UInt8], _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
    var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    withUnsafeMutableBytes(of: &scratch) { buf in
        let p = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
        out.append(contentsOf: UnsafeBufferPointer(start: p, count: write(p)))
    }
}

import Foundation
import StratMarket

/// A small JSON writer over a byte buffer. Keys are written in the order the
/// caller gives them, numbers as Swift's shortest round-trip text, non-finite
/// numbers as null: the same result always gives the same bytes, and a million
/// equity points are written in well under a second (JSONEncoder is slower).
struct JSONWriter {
    var out: [UInt8] = []
    var times = UTCTimeWriter()
    /// With a sink the text goes to the file in chunks; without, it stays in `out`.
    let sink: UnsafeMutablePointer<FILE>?
    private var failed = false

    init(sink: UnsafeMutablePointer<FILE>? = nil) {
        self.sink = sink
        if sink != nil { out.reserveCapacity(1 << 20 + 4096) }
    }

    /// Writes what is buffered to the sink; false if a write failed.
    mutating func flush() -> Bool {
        guard let sink, !out.isEmpty else { return !failed }
        let n = out.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, sink) }
        if n != out.count { failed = true }
        out.removeAll(keepingCapacity: true)
        return !failed
    }
    /// Nesting depth, and one bit per level: set while that level has no element yet.
    private var depth = 0
    private var empty: UInt64 = 0
    private var afterKey = false

    private mutating func separate() {
        if afterKey { afterKey = false; return }
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << (depth - 1)
        if empty & bit != 0 { empty &= ~bit } else { out.append(44) }
    }

    private mutating func open(_ c: UInt8) {
        separate()
        out.append(c)
        precondition(depth < 64, "JSON nested too deeply")
        depth += 1
        empty |= 1 << (depth - 1)
    }

    private mutating func close(_ c: UInt8) {
        depth -= 1
        out.append(c)
    }

    mutating func beginObject() { open(123) }
    mutating func endObject() { close(125) }
    mutating func beginArray() { open(91) }
    mutating func endArray() { close(93) }
    /// A line break before the next element, for arrays read by people and diffs.
    mutating func newline() {
        out.append(10)
        flushIfLarge()
    }

    mutating func flushIfLarge() {
        if sink != nil, out.count >= 1 << 20 { _ = flush() }
    }

    /// Keys are literals that need no escaping: copied as they are.
    mutating func key(_ k: StaticString) {
        separate()
        out.append(34)
        out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        out.append(34)
        out.append(58)
        afterKey = true
    }

    /// A key that is data (an input's name): escaped like any string.
    mutating func key(dynamic k: String) {
        separate()
        quoted(k)
        out.append(58)
        afterKey = true
    }

    mutating func string(_ s: String?) {
        separate()
        if let s { quoted(s) } else { null() }
    }

    mutating func number(_ v: Double?) {
        separate()
        if let v { Self.append(v, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    /// A double as Swift's shortest round-trip text; null if not finite.
    static func append(_ v: Double, to out: inout [UInt8]) {
        if v.isFinite { NumberText.append(v, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    mutating func int(_ v: Int?) {
        separate()
        guard var n = v else { out.append(contentsOf: "null".utf8); return }
        if n < 0 { out.append(45); n = -n }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[19 - count] = UInt8(48 + n % 10); n /= 10; count += 1 } while n > 0
            out.append(contentsOf: d[(20 - count)...])
        }
    }

    mutating func bool(_ b: Bool) { separate(); out.append(contentsOf: (b ? "true" : "false").utf8) }

    mutating func time(_ t: Int64?) {
        separate()
        guard let t else { out.append(contentsOf: "null".utf8); return }
        out.append(34)
        times.append(t, to: &out)
        out.append(34)
    }

    /// An element written by the caller as raw JSON bytes (for hot loops).
    mutating func rawElement(_ body: (inout [UInt8]) -> Void) {
        separate()
        body(&out)
    }

    private mutating func null() { out.append(contentsOf: "null".utf8) }

    private mutating func quoted(_ s: String) {
        out.append(34)
        // Most strings (keys, states, symbols) need no escaping: append them whole.
        if s.utf8.allSatisfy({ $0 >= 32 && $0 != 34 && $0 != 92 }) {
            out.append(contentsOf: s.utf8)
            out.append(34)
            return
        }
        for u in s.utf8 {
            switch u {
            case 34: out.append(contentsOf: [92, 34])
            case 92: out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            case 9: out.append(contentsOf: [92, 116])
            case 0..<32: out.append(contentsOf: Array(String(format: "\\u%04x", u).utf8))
            default: out.append(u)
            }
        }
        out.append(34)
    }

    // Convenience: key and value in one call.
    mutating func field(_ k: StaticString, _ v: String?) { key(k); string(v) }
    mutating func field(_ k: StaticString, _ v: Double?) { key(k); number(v) }
    mutating func field(_ k: StaticString, _ v: Int?) { key(k); int(v) }
    mutating func field(_ k: StaticString, _ v: Bool) { key(k); bool(v) }
    mutating func field(time k: StaticString, _ v: Int64?) { key(k); time(v) }
}

/// A source text with cheap positions: a `SourceRange` is two byte offsets, turned
/// into line and column only when a message is printed (as Go's `go/token` does).
///
///     let file = SourceFile(name: "x.strat", text: "let a = 1")
///     file.lineColumn(of: 4)   // (line: 1, column: 5)
public final class SourceFile: Sendable {
    public let name: String
    public let text: String
    public let bytes: [UInt8]
    /// Byte offset at which each line starts; lineStarts[0] == 0.
    public let lineStarts: [Int]
    /// UTF-8 continuation bytes (every byte of a character but its first) before
    /// each multiple of `stride` bytes, so a column is found without scanning a
    /// long line from its start (that made a one-line file quadratic).
    private let continuationsBefore: [Int]
    private static let stride = 64

    public init(name: String, text: String) {
        self.name = name
        self.text = text
        let bytes = Array(text.utf8)
        self.bytes = bytes
        var starts = [0]
        var continuations = [0]
        continuations.reserveCapacity(bytes.count / Self.stride + 1)
        var seen = 0
        for (i, b) in bytes.enumerated() {
            if b == UInt8(ascii: "\n") { starts.append(i + 1) }
            if b & 0xC0 == 0x80 { seen += 1 }
            if (i + 1) % Self.stride == 0 { continuations.append(seen) }
        }
        self.lineStarts = starts
        self.continuationsBefore = continuations
    }

    /// 1-based line of a byte offset.
    public func line(of offset: Int) -> Int {
        let offset = max(0, min(offset, bytes.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    /// 1-based line and column (columns count Unicode scalars, so a caret lines up
    /// under the character a user sees).
    public func lineColumn(of offset: Int) -> (line: Int, column: Int) {
        let offset = max(0, min(offset, bytes.count))
        let line = self.line(of: offset)
        let start = lineStarts[line - 1]
        return (line, offset - start - (continuations(before: offset) - continuations(before: start)) + 1)
    }

    /// Continuation bytes in `bytes[0..<offset]`.
    private func continuations(before offset: Int) -> Int {
        let k = offset / Self.stride
        var n = continuationsBefore[k]
        for i in (k * Self.stride)..<offset where bytes[i] & 0xC0 == 0x80 { n += 1 }
        return n
    }

    public func line(_ number: Int) -> String {
        guard number >= 1, number <= lineStarts.count else { return "" }
        let start = lineStarts[number - 1]
        var end = number < lineStarts.count ? lineStarts[number] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    public func text(of range: SourceRange) -> String {
        let s = max(0, min(range.start, bytes.count)), e = max(s, min(range.end, bytes.count))
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }
}

/// A half-open range of byte offsets into one `SourceFile`.
public struct SourceRange: Hashable, Sendable, Codable {
    public var start: Int
    public var end: Int
    public init(_ start: Int, _ end: Int) { self.start = start; self.end = max(start, end) }
    public static let zero = SourceRange(0, 0)
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(min(start, other.start), max(end, other.end))
    }
    public var isEmpty: Bool { start == end }
}

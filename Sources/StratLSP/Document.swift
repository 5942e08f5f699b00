import Foundation
import StratSyntax

/// An LSP position: a 0-based line and a 0-based column in UTF-16 code units
/// (what the protocol counts by default), whatever the bytes of the line are.
public struct Position: Hashable, Sendable, Comparable {
    public var line: Int
    public var character: Int
    public init(line: Int, character: Int) { self.line = line; self.character = character }

    public static func < (a: Position, b: Position) -> Bool { (a.line, a.character) < (b.line, b.character) }

    init?(_ json: Any?) {
        guard let o = json as? JSONObject, let l = o["line"] as? Int, let c = o["character"] as? Int else { return nil }
        line = l; character = c
    }
    var json: JSONObject { ["line": line, "character": character] }
}

public struct LSPRange: Hashable, Sendable {
    public var start: Position
    public var end: Position
    public init(_ start: Position, _ end: Position) { self.start = start; self.end = end }

    init?(_ json: Any?) {
        guard let o = json as? JSONObject, let s = Position(o["start"]), let e = Position(o["end"]) else { return nil }
        start = s; end = e
    }
    var json: JSONObject { ["start": start.json, "end": end.json] }
}

/// One open file: its text, version and the source file the front end reads
/// (byte offsets). Converts between byte offsets and LSP positions.
///
///     let d = Document(uri: "file:///x.strat", version: 1, text: "// é\nlet")
///     d.position(of: 6)                            // line 1, character 0
///     d.offset(of: Position(line: 0, character: 4)) // 5: `é` is 2 bytes, 1 UTF-16 unit
public struct Document: Sendable {
    public let uri: String
    public private(set) var version: Int
    public private(set) var source: SourceFile

    public init(uri: String, version: Int, text: String) {
        self.uri = uri
        self.version = version
        source = SourceFile(name: Document.name(of: uri), text: text)
    }

    public var text: String { source.text }

    /// The file's path for messages: the URI's path when it is a file URI.
    static func name(of uri: String) -> String {
        if let url = URL(string: uri), url.isFileURL { return url.path }
        return uri
    }

    /// The byte offset of an LSP position. A character past the end of its line
    /// (or inside a surrogate pair) is clamped to the line's end (the character's
    /// start); a line past the end of the file is the end of the file.
    public func offset(of p: Position) -> Int {
        let bytes = source.bytes, starts = source.lineStarts
        guard p.line >= 0 else { return 0 }
        guard p.line < starts.count else { return bytes.count }
        var i = starts[p.line]
        let lineEnd = p.line + 1 < starts.count ? starts[p.line + 1] - 1 : bytes.count
        var units = 0
        while i < lineEnd {
            let b = bytes[i]
            let (width, u16) = b < 0x80 ? (1, 1) : b < 0xE0 ? (2, 1) : b < 0xF0 ? (3, 1) : (4, 2)
            if units + u16 > p.character { break }
            if b == 13, i + 1 == lineEnd { break }   // the CR of a CRLF ends the line
            units += u16
            i = min(lineEnd, i + width)
        }
        return i
    }

    /// The LSP position of a byte offset (clamped to the file).
    public func position(of offset: Int) -> Position {
        let bytes = source.bytes
        let offset = max(0, min(offset, bytes.count))
        let line = source.line(of: offset) - 1
        var i = source.lineStarts[line], units = 0
        while i < offset {
            let b = bytes[i]
            if b & 0xC0 != 0x80 { units += b >= 0xF0 ? 2 : 1 }
            i += 1
        }
        return Position(line: line, character: units)
    }

    public func range(of r: SourceRange) -> LSPRange { LSPRange(position(of: r.start), position(of: r.end)) }

    public func sourceRange(of r: LSPRange) -> SourceRange { SourceRange(offset(of: r.start), offset(of: r.end)) }

    /// Applies one `didChange` content change: with a range, an incremental
    /// edit; without one, the whole new text.
    public mutating func apply(_ change: JSONObject) {
        guard let newText = change["text"] as? String else { return }
        if let r = LSPRange(change["range"]) {
            let a = offset(of: r.start), b = max(a, offset(of: r.end))
            var bytes = source.bytes
            bytes.replaceSubrange(a..<b, with: Array(newText.utf8))
            source = SourceFile(name: source.name, text: String(decoding: bytes, as: UTF8.self))
        } else {
            source = SourceFile(name: source.name, text: newText)
        }
    }

    public mutating func setVersion(_ v: Int) { version = v }
}

import StratLSP
import Testing

@Suite struct DocumentTests {
    // `é` is 2 bytes and 1 UTF-16 unit; `😀` 4 bytes and 2 units (a surrogate pair).
    let doc = Document(uri: "file:///t.strat", version: 1, text: "// é😀\r\nlet x = 1\n😀a")

    @Test func offsetsToPositions() {
        #expect(doc.position(of: 0) == Position(line: 0, character: 0))
        #expect(doc.position(of: 5) == Position(line: 0, character: 4))    // after é
        #expect(doc.position(of: 9) == Position(line: 0, character: 6))    // after 😀
        #expect(doc.position(of: 11) == Position(line: 1, character: 0))   // after CRLF
        #expect(doc.position(of: 25) == Position(line: 2, character: 2))   // before a
        #expect(doc.position(of: 999) == Position(line: 2, character: 3))  // clamped to the end
    }

    @Test func positionsToOffsets() {
        #expect(doc.offset(of: Position(line: 0, character: 4)) == 5)
        #expect(doc.offset(of: Position(line: 0, character: 5)) == 5)    // inside the pair: its start
        #expect(doc.offset(of: Position(line: 0, character: 6)) == 9)
        #expect(doc.offset(of: Position(line: 0, character: 99)) == 9)   // past the end: before the CR
        #expect(doc.offset(of: Position(line: 1, character: 4)) == 15)
        #expect(doc.offset(of: Position(line: 2, character: 2)) == 25)
        #expect(doc.offset(of: Position(line: 7, character: 0)) == 26)
        #expect(doc.offset(of: Position(line: -1, character: 0)) == 0)
    }

    @Test func incrementalEdits() {
        var d = doc
        // Replace `x` on line 1, then insert after the emoji on line 2.
        d.apply(["range": ["start": ["line": 1, "character": 4], "end": ["line": 1, "character": 5]], "text": "yé"])
        d.apply(["range": ["start": ["line": 2, "character": 2], "end": ["line": 2, "character": 2]], "text": "b"])
        #expect(d.text == "// é😀\r\nlet yé = 1\n😀ba")
        d.apply(["text": "whole"])
        #expect(d.text == "whole")
    }
}

import Foundation
import StratLSP
import Testing

/// A reader over fixed chunks (a stream delivered in pieces, as a pipe does).
func reader(_ chunks: [String]) -> MessageReader {
    var rest = chunks.map { Array($0.utf8) }
    return MessageReader { rest.isEmpty ? nil : rest.removeFirst() }
}

func frames(_ chunks: String...) -> [Frame] {
    var r = reader(chunks)
    var out: [Frame] = []
    while true {
        let f = r.next()
        out.append(f)
        if case .end = f { return out }
        if case .truncated = f { return out }
        if out.count > 20 { Issue.record("the reader does not stop"); return out }
    }
}

func body(_ s: String) -> Frame { .message(Data(s.utf8)) }

@Suite struct TransportTests {
    @Test func messagesSplitAcrossChunks() {
        #expect(frames("Content-Len", "gth: 2\r\n\r", "\n{}Content-Length: 3\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[1]")
                == [body("{}"), body("[1]"), .end])
    }

    @Test func oneByteAtATime() {
        let stream = "Content-Length: 2\r\n\r\n{}" + "Content-Length: 11\r\n\r\n{\"a\": \"é\"}" + "Content-Length: 3\r\n\r\n[1]"
        var bytes = Array(stream.utf8)[...]
        var rb = MessageReader { bytes.isEmpty ? nil : [bytes.removeFirst()] }
        #expect([rb.next(), rb.next(), rb.next(), rb.next()] == [body("{}"), body(#"{"a": "é"}"#), body("[1]"), .end])
    }

    @Test func headerNamesAreCaseInsensitive() {
        #expect(frames("content-length:2\r\n\r\n{}") == [body("{}"), .end])
    }

    @Test func headerWithoutLengthIsSkipped() {
        #expect(frames("Content-Type: x\r\n\r\nContent-Length: 2\r\n\r\n{}")
                == [.badHeader("the header has no Content-Length"), body("{}"), .end])
    }

    @Test func lengthThatIsNotANumber() {
        #expect(frames("Content-Length: two\r\n\r\nContent-Length: 2\r\n\r\n{}")
                == [.badHeader("Content-Length `two` is not a whole number"), body("{}"), .end])
        #expect(frames("Content-Length: -5\r\n\r\n")
                == [.badHeader("Content-Length `-5` is not a whole number"), .end])
    }

    @Test func tooLongBodyIsSkippedWhole() {
        var chunks = ["Content-Length: 1000\r\n\r\n", String(repeating: " ", count: 600), String(repeating: " ", count: 400) + "Content-Length: 2\r\n\r\n{}"]
        var r = MessageReader(maxBody: 999) { chunks.isEmpty ? nil : Array(chunks.removeFirst().utf8) }
        #expect([r.next(), r.next(), r.next()] == [.badHeader("Content-Length 1000 is more than the 999 bytes accepted"), body("{}"), .end])
    }

    @Test func shortBody() {
        #expect(frames("Content-Length: 10\r\n\r\n{\"a\"") == [.truncated("the body has 4 of its 10 bytes")])
    }

    @Test func streamEndsInsideHeader() {
        #expect(frames("Content-Length: 10\r\n") == [.truncated("the stream ended inside a header")])
    }

    @Test func headerThatNeverEnds() {
        let junk = String(repeating: "x", count: 9000)
        #expect(frames(junk, "\r\n\r\nContent-Length: 2\r\n\r\n{}").first == .badHeader("no blank line after 8192 bytes of header"))
    }

    @Test func emptyStream() {
        #expect(frames() == [.end])
        #expect(frames("\r\n\r\n") == [.end])
    }
}

/// Feeds frames to a server and collects what it sends.
final class Recorder {
    var sent: [JSONObject] = []
    lazy var server = Server { [unowned self] in self.sent.append($0) }

    func feed(_ text: String) -> Int32? { server.handle(.message(Data(text.utf8))) }

    func errors() -> [String] {
        sent.compactMap { m in
            guard let e = m["error"] as? JSONObject else { return nil }
            return "\(m["id"].map { $0 is NSNull ? "null" : "\($0)" } ?? "-") \(e["code"]!) \(e["message"]!)"
        }
    }
}

@Suite struct MalformedMessageTests {
    @Test func invalidJSONIsAParseError() {
        let r = Recorder()
        #expect(r.feed("{\"jsonrpc\": \"2.0\", \"id\": 1, ") == nil)
        #expect(r.errors() == ["null -32700 the message body is not valid JSON"])
    }

    @Test func wrongShapes() {
        let r = Recorder()
        _ = r.feed("42")
        _ = r.feed("[]")
        _ = r.feed(#"{"jsonrpc": "2.0", "id": {"a": 1}, "method": "initialize"}"#)
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 7}"#)
        #expect(r.errors() == [
            "null -32600 a message must be a JSON object",
            "null -32600 an empty batch",
            "null -32600 `id` must be a number or a string",
            "7 -32600 the message has no `method`",
        ])
    }

    @Test func lifecycleErrors() {
        let r = Recorder()
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {}}"#)
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": {}}"#)
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 3, "method": "workspace/symbol", "params": {}}"#)
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///x.strat"}, "position": {"line": 0, "character": 0}}}"#)
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 5, "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///x.strat"}}}"#)
        _ = r.feed(#"{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///x.strat", "version": 1, "text": "x"}}}"#)
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 6, "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///x.strat"}, "position": {"line": "a"}}}"#)
        _ = r.feed(#"{"jsonrpc": "2.0", "id": "s", "method": "shutdown"}"#)
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 8, "method": "shutdown"}"#)
        #expect(r.errors() == [
            "1 -32002 `initialize` must come first",
            "3 -32601 `workspace/symbol` is not supported",
            "4 -32602 file:///x.strat is not open",
            "5 -32602 file:///x.strat is not open",
            "6 -32602 `position` is missing or not {line, character}",
            "8 -32600 the server is shutting down",
        ])
        #expect(r.feed(#"{"jsonrpc": "2.0", "method": "exit"}"#) == 0)
    }

    @Test func exitWithoutShutdownIsOne() {
        let r = Recorder()
        #expect(r.feed(#"{"jsonrpc": "2.0", "method": "exit"}"#) == 1)
        #expect(r.server.handle(.end) == 1)
    }

    @Test func badFramesAreAnsweredAndTheServerGoesOn() {
        let r = Recorder()
        #expect(r.server.handle(.badHeader("the header has no Content-Length")) == nil)
        #expect(r.server.handle(.truncated("the body has 4 of its 10 bytes")) == 1)
        #expect(r.errors() == ["null -32700 bad message header: the header has no Content-Length",
                               "null -32700 incomplete message: the body has 4 of its 10 bytes"])
    }
}

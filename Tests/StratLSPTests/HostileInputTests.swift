import Foundation
import StratLSP
import Testing

/// Input that once could, or still might, bring a server down: each gets an
/// answer and the server goes on.
@Suite struct HostileInputTests {
    func open(_ text: String) -> Recorder {
        let r = Recorder()
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}"#)
        let doc = try! JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": ["textDocument": ["uri": "file:///h.strat", "version": 1, "text": text] as [String: Any]]] as [String: Any])
        _ = r.server.handle(.message(doc))
        return r
    }

    func hover(_ r: Recorder, _ line: Int, _ character: Int) -> String? {
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 9, "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///h.strat"}, "position": {"line": \#(line), "character": \#(character)}}}"#)
        let reply = r.sent.last { ($0["id"] as? Int) == 9 }
        return ((reply?["result"] as? JSONObject)?["contents"] as? JSONObject)?["value"] as? String
    }

    /// The warm-up formulas take the values of inputs at their defaults, which
    /// the checker does not bound for every parameter: `Int(1e300)` and
    /// `Int(sqrt(-4))` trap, so such values give no warm-up.
    @Test func wildInputDefaultsGiveNoWarmup() {
        let r = open("""
            strategy S {
              input k = 1e300
              input n = -4
              let (u, m, l) = bbands(close, 20, k)
              let h = hma(close, n)
              when u > m and l < h { enter long }
            }
            """)
        for (line, character) in [(3, 19), (4, 11)] {
            let text = hover(r, line, character)
            #expect(text?.hasPrefix("```strat\n") == true, "line \(line): \(text ?? "nil")")
            #expect(text?.contains("warm-up") == false, "line \(line): \(text ?? "nil")")
        }
        #expect(hover(r, 3, 19)?.contains("bbands(src: numeric, length: Int ≥ 1, k: number = 2)") == true)
    }

    @Test func deeplyNestedJSONIsAParseError() {
        let r = Recorder()
        _ = r.feed(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        _ = r.feed(String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000))
        #expect(r.errors() == ["null -32700 the message body is not valid JSON", "null -32700 the message body is not valid JSON"])
    }

    /// Positions far outside the text are clamped, never trusted as indices.
    @Test func positionsOutsideTheText() {
        let r = open("strategy S {\n  when close > open { enter long }\n}\n")
        for (line, character) in [(-5, -5), (0, 1_000_000), (1_000_000, 0), (Int(Int32.max), Int(Int32.max))] {
            _ = hover(r, line, character)
            for method in ["completion", "definition", "references", "prepareRename"] {
                _ = r.feed(#"{"jsonrpc": "2.0", "id": 10, "method": "textDocument/\#(method)", "params": {"textDocument": {"uri": "file:///h.strat"}, "position": {"line": \#(line), "character": \#(character)}}}"#)
            }
        }
        #expect(r.errors().isEmpty)
    }

    /// Every request at every position of every example strategy, and of
    /// cut-off copies of them (what an editor holds while one types), gets a
    /// result: never a crash, never an internal error.
    @Test func everyRequestEverywhereInTheExamples() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Strategies")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".strat") }.sorted()
        #expect(files.count >= 10)
        var requests = 0
        for name in files {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            let scalars = Array(text.unicodeScalars)
            // The whole file, and cuts at a few places (mid-token, mid-line).
            for cut in [scalars.count, scalars.count * 2 / 3, scalars.count / 3] {
                let version = String(String.UnicodeScalarView(scalars[0..<cut]))
                let r = open(version)
                let lines = version.split(separator: "\n", omittingEmptySubsequences: false)
                for (l, line) in lines.enumerated() {
                    for c in stride(from: 0, through: line.utf16.count, by: 3) {
                        for method in ["hover", "completion", "definition", "references", "prepareRename"] {
                            _ = r.feed(#"{"jsonrpc": "2.0", "id": 1, "method": "textDocument/\#(method)", "params": {"textDocument": {"uri": "file:///h.strat"}, "position": {"line": \#(l), "character": \#(c)}}}"#)
                            requests += 1
                        }
                    }
                    _ = r.feed(#"{"jsonrpc": "2.0", "id": 2, "method": "textDocument/rename", "params": {"textDocument": {"uri": "file:///h.strat"}, "position": {"line": \#(l), "character": 8}, "newName": "renamed"}}"#)
                }
                for method in ["documentSymbol", "formatting"] {
                    _ = r.feed(#"{"jsonrpc": "2.0", "id": 3, "method": "textDocument/\#(method)", "params": {"textDocument": {"uri": "file:///h.strat"}}}"#)
                }
                _ = r.feed(#"{"jsonrpc": "2.0", "id": 4, "method": "textDocument/codeAction", "params": {"textDocument": {"uri": "file:///h.strat"}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9999, "character": 0}}, "context": {"diagnostics": []}}}"#)
                // Refusals (a rename where there is no name, formatting a cut-off file) are expected; other errors are not.
                let unexpected = r.errors().filter { !$0.contains("-32803") }
                #expect(unexpected.isEmpty, "\(name) cut at \(cut): \(unexpected.prefix(3))")
            }
        }
        #expect(requests > 5_000)
    }
}

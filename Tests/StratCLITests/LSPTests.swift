import Foundation
import StratTestSupport
import Testing

/// Drives the real `strat lsp` over stdio: the requests are written to its
/// stdin as one recorded session, and every message it writes is read back
/// from stdout by its Content-Length framing.
struct LSPSession {
    var messages: [[String: Any]] = []
    var nextID = 1
    let uri = "file:///work/t.strat"

    mutating func request(_ method: String, _ params: [String: Any] = [:]) -> Int {
        defer { nextID += 1 }
        messages.append(["jsonrpc": "2.0", "id": nextID, "method": method, "params": params])
        return nextID
    }

    mutating func notify(_ method: String, _ params: [String: Any] = [:]) {
        messages.append(["jsonrpc": "2.0", "method": method, "params": params])
    }

    mutating func at(_ method: String, _ line: Int, _ character: Int, _ extra: [String: Any] = [:]) -> Int {
        var p: [String: Any] = ["textDocument": ["uri": uri], "position": ["line": line, "character": character]]
        p.merge(extra) { $1 }
        return request(method, p)
    }

    /// Runs the session; returns the exit status and the messages written.
    func run(raw: String = "", arguments: [String] = []) throws -> (status: Int32, replies: [[String: Any]], stderr: String) {
        var input = Data()
        for m in messages {
            let body = try JSONSerialization.data(withJSONObject: m)
            input.append(Data("Content-Length: \(body.count)\r\n\r\n".utf8))
            input.append(body)
        }
        input.append(Data(raw.utf8))
        let r = try runProgram(stratBinary.path, ["lsp"] + arguments, input: String(decoding: input, as: UTF8.self), timeout: 120)
        return (r.status, try Self.split(r.stdout), r.stderr)
    }

    static func split(_ out: String) throws -> [[String: Any]] {
        var bytes = Array(out.utf8)[...]
        var result: [[String: Any]] = []
        while !bytes.isEmpty {
            let sep = Array("\r\n\r\n".utf8)
            guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: sep) }) else { break }
            let header = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
            let length = Int(header.replacingOccurrences(of: "Content-Length: ", with: ""))!
            let start = end + 4
            result.append(try JSONSerialization.jsonObject(with: Data(bytes[start..<(start + length)])) as! [String: Any])
            bytes = bytes[(start + length)...]
        }
        return result
    }
}

/// Canonical JSON text of a value (sorted keys), to compare whole replies.
func json(_ v: Any?) -> String {
    guard let v, !(v is NSNull) else { return "null" }
    let data = try! JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
    return String(decoding: data, as: UTF8.self)
}

func result(_ replies: [[String: Any]], _ id: Int) -> Any? {
    replies.first { ($0["id"] as? Int) == id }?["result"]
}

@Suite struct LSPTests {
    // Line 7 puts `é` (1 UTF-16 unit, 2 bytes) and `😀` (2 units, 4 bytes) before
    // the error, so its column differs in units, scalars and bytes.
    static let source = """
        // Breakout ✓
        strategy T {
          timeframe 1h
          input n = 14 in 2...50
          let fast = ema(close,n)
          let (m, sig, hist) = macd(close, 12, 26, 9)
          fn mid(a, b) = (a + b) / 2
          /* é😀 */ let bad = close + volume
          let bb = bbands(close, 20)
          let spare = sma(close, 5)
          when crossover(fast, mid(m, sig)) and close > bb.upper and close > sma(close, 10)@4h { enter long }
          when bad > 0 { exit long }
        }

        """

    func open(_ s: inout LSPSession, _ text: String = source) {
        _ = s.request("initialize", ["processId": NSNull(), "rootUri": NSNull(), "capabilities": [String: Any]()])
        s.notify("initialized")
        s.notify("textDocument/didOpen", ["textDocument": ["uri": s.uri, "languageId": "strat", "version": 1, "text": text]])
    }

    func close(_ s: inout LSPSession) -> Int {
        let id = s.request("shutdown")
        s.notify("exit")
        return id
    }

    func diagnostics(_ replies: [[String: Any]]) -> [String] {
        replies.filter { $0["method"] as? String == "textDocument/publishDiagnostics" }.map { json($0["params"]) }
    }

    @Test func initializeDiagnosticsAndExit() throws {
        var s = LSPSession()
        open(&s)
        // Fix the error: `volume` → `open` (an incremental change), then break the syntax (the whole text).
        s.notify("textDocument/didChange", ["textDocument": ["uri": s.uri, "version": 2],
                                            "contentChanges": [["range": ["start": ["line": 7, "character": 30], "end": ["line": 7, "character": 36]], "text": "open"]]])
        s.notify("textDocument/didChange", ["textDocument": ["uri": s.uri, "version": 3], "contentChanges": [["text": "strategy {"]]])
        s.notify("textDocument/didClose", ["textDocument": ["uri": s.uri]])
        let shutdown = close(&s)
        let (status, replies, stderr) = try s.run()
        #expect(status == 0, "\(stderr)")
        #expect(json(replies.first?["result"]) == #"{"capabilities":{"codeActionProvider":{"codeActionKinds":["quickfix"]},"completionProvider":{"resolveProvider":false,"triggerCharacters":["."]},"definitionProvider":true,"documentFormattingProvider":true,"documentSymbolProvider":true,"hoverProvider":true,"positionEncoding":"utf-16","referencesProvider":true,"renameProvider":{"prepareProvider":true},"textDocumentSync":{"change":2,"openClose":true}},"serverInfo":{"name":"strat","version":"0.1.0"}}"#)
        // The `+` of line 7 is at UTF-16 column 28 (byte 31, scalar 27).
        let hist = #"{"code":"W0001","message":"`hist` is never used","range":{"end":{"character":19,"line":5},"start":{"character":15,"line":5}},"severity":2,"source":"strat"}"#
        let spare = #"{"code":"W0001","message":"`spare` is never used","range":{"end":{"character":11,"line":9},"start":{"character":6,"line":9}},"severity":2,"source":"strat"}"#
        let add = #"{"code":"E0301","message":"can't add Price and Volume\nnote: did you mean `close * volume` (Money)? Prices and volumes have different units","range":{"end":{"character":29,"line":7},"start":{"character":28,"line":7}},"severity":1,"source":"strat"}"#
        #expect(diagnostics(replies) == [
            #"{"diagnostics":["# + [hist, add, spare].joined(separator: ",") + #"],"uri":"file:///work/t.strat","version":1}"#,
            #"{"diagnostics":["# + [hist, spare].joined(separator: ",") + #"],"uri":"file:///work/t.strat","version":2}"#,
            #"{"diagnostics":[{"code":"E0101","message":"expected a name after `strategy`, found `{`","range":{"end":{"character":10,"line":0},"start":{"character":9,"line":0}},"severity":1,"source":"strat"}],"uri":"file:///work/t.strat","version":3}"#,
            #"{"diagnostics":[],"uri":"file:///work/t.strat"}"#,
        ])
        #expect(replies.contains { ($0["id"] as? Int) == shutdown && $0["result"] is NSNull })
    }

    @Test func malformedInputIsAnsweredNotFatal() throws {
        var s = LSPSession()
        _ = s.request("initialize", ["capabilities": [String: Any]()])
        // A header without a length, a body that is not JSON, then a body cut short.
        let bad = "Content-Type: x\r\n\r\n" + "Content-Length: 5\r\n\r\n{oops" + "Content-Length: 40\r\n\r\n{\"jsonrpc\""
        let (status, replies, stderr) = try s.run(raw: bad)
        #expect(status == 1, "\(stderr)")   // the input ended without shutdown
        #expect(replies.dropFirst().map { json($0) } == [
            #"{"error":{"code":-32700,"message":"bad message header: the header has no Content-Length"},"id":null,"jsonrpc":"2.0"}"#,
            #"{"error":{"code":-32700,"message":"the message body is not valid JSON"},"id":null,"jsonrpc":"2.0"}"#,
            #"{"error":{"code":-32700,"message":"incomplete message: the body has 10 of its 40 bytes"},"id":null,"jsonrpc":"2.0"}"#,
        ])
    }

    @Test func features() throws {
        var s = LSPSession()
        open(&s)
        let ids = [
            // Line 4 `  let fast = ema(close,n)`: the built-in, its argument, the let's name.
            s.at("textDocument/hover", 4, 14),
            s.at("textDocument/hover", 4, 18),
            s.at("textDocument/hover", 4, 8),
            s.at("textDocument/hover", 3, 9),
            // Line 10: `mid(m, sig)`, `bb.upper`, `close` inside `sma(close, 10)@4h`.
            s.at("textDocument/hover", 10, 23),
            s.at("textDocument/hover", 10, 52),
            s.at("textDocument/hover", 10, 74),
            s.at("textDocument/definition", 10, 30),
            s.at("textDocument/definition", 6, 18),
            s.at("textDocument/references", 3, 8, ["context": ["includeDeclaration": true]]),
            s.at("textDocument/rename", 4, 8, ["newName": "quick"]),
            s.at("textDocument/rename", 4, 8, ["newName": "sig"]),
            s.at("textDocument/completion", 10, 51),
            s.at("textDocument/completion", 10, 7),
            s.request("textDocument/documentSymbol", ["textDocument": ["uri": s.uri]]),
            s.request("textDocument/formatting", ["textDocument": ["uri": s.uri], "options": ["tabSize": 2, "insertSpaces": true]]),
            s.request("textDocument/codeAction", ["textDocument": ["uri": s.uri], "range": ["start": ["line": 9, "character": 6], "end": ["line": 9, "character": 6]],
                                                  "context": ["diagnostics": [Any]()]]),
        ]
        _ = close(&s)
        let (status, replies, stderr) = try s.run()
        #expect(status == 0, "\(stderr)")
        func hover(_ id: Int) -> String {
            let r = result(replies, id) as? [String: Any]
            let range = r?["range"] as? [String: [String: Int]]
            let where_ = range.map { "\($0["start"]!["line"]!):\($0["start"]!["character"]!)-\($0["end"]!["line"]!):\($0["end"]!["character"]!) " } ?? ""
            return where_ + ((r?["contents"] as? [String: Any])?["value"] as? String ?? "null")
        }
        #expect(hover(ids[0]) == "4:13-4:16 ```strat\nema(src: numeric, length: Int ≥ 1) → unit of src\n```\nexponential moving average, seeded with the SMA of the first n values\n\nwarm-up: 13 bars (length = 14, the default of `n`)")
        #expect(hover(ids[1]) == "4:17-4:22 ```strat\nclose: series Price\n```")
        #expect(hover(ids[2]) == "4:6-4:10 ```strat\nlet fast: series Price\n```")
        #expect(hover(ids[3]) == "3:8-3:9 ```strat\ninput n: Int = 14 in 2...50\n```\nknown before the run; `strat batch` may sweep it")
        #expect(hover(ids[4]) == "10:23-10:34 ```strat\nmid(m, sig): series Price\n```")
        #expect(hover(ids[5]) == "10:48-10:56 ```strat\nbb.upper: series Price\n```")
        #expect(hover(ids[6]) == "10:73-10:78 ```strat\nclose: series Price @4h\n```")

        let u = #""uri":"file:///work/t.strat""#
        #expect(json(result(replies, ids[7])) == #"{"range":{"end":{"character":13,"line":5},"start":{"character":10,"line":5}},"# + u + "}")
        #expect(json(result(replies, ids[8])) == #"{"range":{"end":{"character":10,"line":6},"start":{"character":9,"line":6}},"# + u + "}")
        #expect(json(result(replies, ids[9])) == #"[{"range":{"end":{"character":9,"line":3},"start":{"character":8,"line":3}},"# + u
                + #"},{"range":{"end":{"character":24,"line":4},"start":{"character":23,"line":4}},"# + u + "}]")
        #expect(json(result(replies, ids[10])) == #"{"changes":{"file:///work/t.strat":[{"newText":"quick","range":{"end":{"character":10,"line":4},"start":{"character":6,"line":4}}},{"newText":"quick","range":{"end":{"character":21,"line":10},"start":{"character":17,"line":10}}}]}}"#)
        #expect(json(replies.first { ($0["id"] as? Int) == ids[11] }?["error"]) == #"{"code":-32803,"message":"`sig` is already defined in strategy `T`"}"#)

        // After `bb.`: the outputs of bbands.
        let members = (result(replies, ids[12]) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        #expect(members.map { "\($0["label"]!): \($0["detail"]!)" } == ["upper: Price", "middle: Price", "lower: Price"])
        // In a rule: the strategy's names first, then bar fields, built-ins, keywords, types.
        let items = (result(replies, ids[13]) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        #expect(items.prefix(10).map { "\($0["label"]!): \($0["detail"]!)" } == [
            "n: input Int", "fast: let: series Price", "m: let: series Price", "sig: let: series Price", "hist: let: series Price",
            "mid: fn mid(a, b)", "bad: let", "bb: let: series (upper, middle, lower)", "spare: let: series Price", "open: series Price",
        ])
        #expect(json(items.first { $0["label"] as? String == "crossover" }) == #"{"detail":"crossover(a: numeric, b: unit of a) → Bool","documentation":{"kind":"markdown","value":"a crosses above b on this bar"},"kind":3,"label":"crossover","sortText":"2crossover"}"#)
        #expect(json(items.first { $0["label"] as? String == "macd" }?["detail"]) == #""macd(src: numeric, fast: Int ≥ 1, slow: Int ≥ 1, signal: Int ≥ 1) → (macd, signal, hist): unit of src""#)
        #expect(Set(["when", "enter", "Price", "volume", "sar", "spot"]).isSubset(of: Set(items.map { $0["label"] as! String })))
        #expect(items.filter { ["gtc", "qty", "max"].contains($0["label"] as? String) }.map { "\($0["label"]!): \($0["detail"]!)" }
                == ["max: max(a: numeric, b: unit of a) → unit of a", "gtc: time in force, after `tif`", "qty: after `size`: qty(…)"])

        let symbols = (result(replies, ids[14]) as? [[String: Any]])?.first
        #expect("\(symbols?["kind"] ?? 0) \(symbols?["name"] ?? "")" == "5 T")
        #expect((symbols?["children"] as? [[String: Any]] ?? []).map { "\($0["kind"]!) \($0["name"]!): \($0["detail"]!)" } == [
            "7 n: input Int", "13 fast: series Price", "13 m: series Price", "13 sig: series Price", "13 hist: series Price",
            "12 mid: fn(a, b)", "13 bad: let", "13 bb: series (upper, middle, lower)", "13 spare: series Price",
            "24 when crossover(fast, mid(m, sig)) and close > bb.upper and close…: rule", "24 when bad > 0: rule",
        ])

        #expect(json(result(replies, ids[15])) == #"[{"newText":""# + LSPTests.formatted.replacingOccurrences(of: "\n", with: "\\n")
                + #"","range":{"end":{"character":0,"line":13},"start":{"character":0,"line":0}}}]"#)
        #expect(json(result(replies, ids[16])) == #"[{"diagnostics":[{"code":"W0001","message":"`spare` is never used","range":{"end":{"character":11,"line":9},"start":{"character":6,"line":9}},"severity":2,"source":"strat"}],"edit":{"changes":{"file:///work/t.strat":[{"newText":"_spare","range":{"end":{"character":11,"line":9},"start":{"character":6,"line":9}}}]}},"isPreferred":true,"kind":"quickfix","title":"Replace `spare` with `_spare`"}]"#)
    }

    /// `strat fmt`'s layout of `source` (the comment before `let bad` goes on its own line).
    static let formatted = """
        // Breakout ✓
        strategy T {
          timeframe 1h
          input n = 14 in 2...50
          let fast = ema(close, n)
          let (m, sig, hist) = macd(close, 12, 26, 9)
          fn mid(a, b) = (a + b) / 2
          /* é😀 */
          let bad = close + volume
          let bb = bbands(close, 20)
          let spare = sma(close, 5)
          when crossover(fast, mid(m, sig)) and close > bb.upper and close > sma(close, 10)@4h {
            enter long
          }
          when bad > 0 {
            exit long
          }
        }

        """

    @Test func storeSymbolsAreCompleted() throws {
        let dir = scratchDirectory.appendingPathComponent("strat-lsp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("strat.db").path
        #expect(try strat("data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--weekdays", "--db", db).status == 0)
        var s = LSPSession()
        open(&s, "strategy S {\n  universe \n}\n")
        let id = s.at("textDocument/completion", 1, 11)
        _ = close(&s)
        let (status, replies, stderr) = try s.run(arguments: ["--db", db])
        #expect(status == 0, "\(stderr)")
        let items = (result(replies, id) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        #expect(items.filter { $0["kind"] as? Int == 21 }.map { json($0) } == [#"{"detail":"symbol in the store","kind":21,"label":"$GOOG","sortText":"5$GOOG"}"#])
        // A store that cannot be opened is a usage error, before any message is read.
        let bad = try strat("lsp", "--db", dir.appendingPathComponent("no/such/dir/x.db").path)
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("strat: error: "), "\(bad.stderr)")
    }

    /// Editors/vscode carries a copy of the grammar (an extension may only read
    /// its own folder); it must stay the grammar.
    @Test func vscodeExtensionMatchesTheRepository() throws {
        let grammar = try Data(contentsOf: repoRoot.appendingPathComponent("Grammar/strat.tmLanguage.json"))
        let copy = try Data(contentsOf: repoRoot.appendingPathComponent("Editors/vscode/syntaxes/strat.tmLanguage.json"))
        #expect(copy == grammar, "copy Grammar/strat.tmLanguage.json to Editors/vscode/syntaxes/")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: repoRoot.appendingPathComponent("Editors/vscode/package.json"))) as! [String: Any]
        let contributes = manifest["contributes"] as! [String: Any]
        #expect(json(contributes["languages"]) == #"[{"aliases":["Strat","strat"],"configuration":"./language-configuration.json","extensions":[".strat"],"id":"strat"}]"#)
        #expect(json(contributes["grammars"]) == #"[{"language":"strat","path":"./syntaxes/strat.tmLanguage.json","scopeName":"source.strat"}]"#)
        let settings = (contributes["configuration"] as! [String: Any])["properties"] as! [String: [String: Any]]
        #expect("\(settings["strat.server.command"]!["default"]!) \(json(settings["strat.server.arguments"]!["default"]))" == #"strat ["lsp"]"#)
    }
}

import Foundation
import StratTestSupport
import Testing

/// `strat lsp` driven by a real editor: Neovim (Debian's 0.7.2, installed by
/// .ci/run) in a tmux terminal, configured by exactly the snippet
/// Docs/Editors.md gives for Neovim 0.7 to 0.10. A probe (`:luafile`) reads
/// back what the editor got from the server. Without Neovim the test passes
/// with a note, except in CI (`CI` set), where it fails.
@Suite struct NeovimTests {
    static let nvim = ["/usr/bin/nvim", "/usr/local/bin/nvim"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The first ```lua block after the "## Neovim 0.7 to 0.10" heading.
    static func snippet() throws -> String {
        let doc = try String(contentsOf: repoRoot.appendingPathComponent("Docs/Editors.md"), encoding: .utf8)
        let section = try #require(doc.range(of: "\n## Neovim 0.7 to 0.10"), "Docs/Editors.md has no Neovim 0.7 to 0.10 section")
        let rest = doc[section.upperBound...]
        let open = try #require(rest.range(of: "```lua\n"))
        let close = try #require(rest[open.upperBound...].range(of: "\n```\n"))
        return String(rest[open.upperBound..<close.lowerBound]) + "\n"
    }

    /// A strategy with a layout to fix and a type error on line 5.
    static let strategy = """
        strategy T {
          market spot
          timeframe 1h
          let  fast=sma(close,10)
          let bad = close + volume
          when fast > close and hour(time) < 12 { enter long }
        }

        """

    /// Waits for the server's diagnostics, asks for two hovers (`sma` on line
    /// 4, `hour` on line 6, 0-based 3 and 5) and formats the buffer, then writes
    /// it all as JSON (renamed into place, so the test never reads half a file).
    static let probe = """
        local out = { diagnostics = {}, hover = {} }
        vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
        for _, d in ipairs(vim.diagnostic.get(0)) do
          table.insert(out.diagnostics, { code = d.code, lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
                                          severity = d.severity, message = d.message })
        end
        for _, at in ipairs({ { 3, 12 }, { 5, 25 } }) do
          local params = { textDocument = { uri = vim.uri_from_bufnr(0) }, position = { line = at[1], character = at[2] } }
          for _, reply in pairs(vim.lsp.buf_request_sync(0, "textDocument/hover", params, 10000) or {}) do
            table.insert(out.hover, reply.result and reply.result.contents.value or vim.inspect(reply.err))
          end
        end
        if vim.lsp.buf.format then vim.lsp.buf.format({ timeout_ms = 10000 }) else vim.lsp.buf.formatting_sync(nil, 10000) end
        out.lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
        vim.fn.writefile({ vim.fn.json_encode(out) }, "probe.part")
        os.rename("probe.part", "probe.json")

        """

    @Test func diagnosticsHoverAndFormattingInNeovim() throws {
        guard let nvim = Self.nvim else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("nvim is not installed (.ci/run installs neovim)") }
            return
        }
        let dir = try temp("init.lua", Self.snippet()).deletingLastPathComponent()
        try Self.strategy.write(to: dir.appendingPathComponent("bad.strat"), atomically: true, encoding: .utf8)
        try Self.probe.write(to: dir.appendingPathComponent("probe.lua"), atomically: true, encoding: .utf8)
        // The snippet runs `strat` from PATH: the one just built. Neovim's own
        // files (its LSP log, state) stay in the temporary directory.
        let xdg = ["CACHE", "CONFIG", "DATA", "STATE"].map { "XDG_\($0)_HOME='\(dir.path)/\($0.lowercased())'" }.joined(separator: " ")
        let t = try Terminal(shell: "cd '\(dir.path)' && PATH='\(stratBinary.deletingLastPathComponent().path)':\"$PATH\" \(xdg) "
                             + "'\(nvim)' -n -i NONE -u init.lua bad.strat")
        try t.wait(for: "let bad = close + volume")
        // The error as the editor shows it: its message beside the line.
        let screen = try t.wait(for: "can't add Price and Volume")
        #expect(screen.split(separator: "\n").contains { $0.contains("let bad = close + volume") && $0.contains("can't add Price and Volume") },
                "\(screen)")
        try t.send(":luafile probe.lua", "Enter")
        let result = dir.appendingPathComponent("probe.json")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !FileManager.default.fileExists(atPath: result.path) { Thread.sleep(forTimeInterval: 0.1) }
        let screenNow = (try? t.screen()) ?? ""
        let data = try #require(try? Data(contentsOf: result), "the probe wrote nothing; the screen was:\n\(screenNow)")
        let out = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])

        // Diagnostics: 0-based line and UTF-16 column, as `strat check` says 5:19 and 5:7.
        let diagnostics = try #require(out["diagnostics"] as? [[String: Any]])
        let error = try #require(diagnostics.first { $0["code"] as? String == "E0301" }, "\(diagnostics)")
        #expect(error["lnum"] as? Int == 4 && error["col"] as? Int == 18 && error["end_lnum"] as? Int == 4 && error["end_col"] as? Int == 19)
        #expect(error["severity"] as? Int == 1)
        #expect(error["message"] as? String
                == "can't add Price and Volume\nnote: did you mean `close * volume` (Money)? Prices and volumes have different units")
        let warning = try #require(diagnostics.first { $0["code"] as? String == "W0001" }, "\(diagnostics)")
        #expect(warning["lnum"] as? Int == 4 && warning["col"] as? Int == 6 && warning["severity"] as? Int == 2)
        #expect(diagnostics.count == 2, "\(diagnostics)")

        // Hover on a built-in: its signature, definition and warm-up at this call.
        #expect(out["hover"] as? [String] == [
            "```strat\nsma(src: numeric, length: Int ≥ 1) → unit of src\n```\nsimple moving average\n\nwarm-up: 9 bars (length = 10)",
            "```strat\nhour(t: Time) → Int\n```\nhour of the UTC time t, 0…23\n\nwarm-up: 0 bars",
        ])

        // Formatting: `strat fmt`'s layout, applied by the editor to its buffer.
        #expect(out["lines"] as? [String] == [
            "strategy T {", "  market spot", "  timeframe 1h", "  let fast = sma(close, 10)", "  let bad = close + volume",
            "  when fast > close and hour(time) < 12 {", "    enter long", "  }", "}",
        ])
        let fmt = try strat("fmt", dir.appendingPathComponent("bad.strat").path)
        #expect(fmt.stdout == (out["lines"] as? [String] ?? []).joined(separator: "\n") + "\n")
        try t.send(":qa!", "Enter")
    }
}

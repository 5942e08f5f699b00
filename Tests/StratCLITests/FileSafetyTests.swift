import Foundation
import Testing
import StratTestSupport

/// No output overwrites an input or another output, `fmt --write` keeps what
/// the file was (link, mode, hard links), and write failures are in words
/// (issue 11, B and D).
@Suite struct FileSafetyTests {
    func dir() throws -> URL {
        let d = scratchDirectory.appendingPathComponent("strat-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    @Test func anOutputThatIsAnInputOrAnotherOutputIsRefused() throws {
        let d = try dir()
        let s = d.appendingPathComponent("s.strat").path, csv = d.appendingPathComponent("g.csv").path
        try FileManager.default.copyItem(atPath: repoRoot.appendingPathComponent("Strategies/sma_cross.strat").path, toPath: s)
        try FileManager.default.copyItem(atPath: repoRoot.appendingPathComponent("Data/GOOG.csv").path, toPath: csv)
        let link = d.appendingPathComponent("link.csv").path, hard = d.appendingPathComponent("hard.strat").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: csv)
        try FileManager.default.linkItem(atPath: s, toPath: hard)
        let holidays = d.appendingPathComponent("h.txt").path
        try "2024-01-01\n".write(toFile: holidays, atomically: true, encoding: .utf8)
        let before = try Data(contentsOf: URL(fileURLWithPath: s)), beforeCSV = try Data(contentsOf: URL(fileURLWithPath: csv))
        let cases: [([String], String)] = [
            (["--json", s], "--json \(s): that is the strategy (\(s)); an output never overwrites an input, so choose another path"),
            (["--trades", link], "--trades \(link): that is the --data file of g (\(csv)); an output never overwrites an input, so choose another path"),
            (["--equity", hard], "--equity \(hard): that is the strategy (\(s)); an output never overwrites an input, so choose another path"),
            (["--json", d.path + "/./s.strat"], "--json \(d.path)/./s.strat: that is the strategy (\(s)); an output never overwrites an input, so choose another path"),
            (["--holidays", holidays, "--equity", holidays], "--equity \(holidays): that is the --holidays file (\(holidays)); an output never overwrites an input, so choose another path"),
            (["--trades", d.path + "/o.csv", "--equity", d.path + "/o.csv"], "--trades \(d.path)/o.csv and --equity \(d.path)/o.csv are the same file; give each output its own path"),
            (["--trades", "/tmp"], "--trades /tmp: is a directory; expected a file path (e.g. /tmp/out.csv)"),
            (["--trades", "/nonexistent/dir/t.csv"], "--trades /nonexistent/dir/t.csv: no such directory /nonexistent/dir"),
            (["--json", s + "/x.json"], "--json \(s)/x.json: \(s) is not a directory"),
        ]
        for (options, message) in cases {
            let r = try runProgram(stratBinary.path, ["backtest", s, "--data", csv] + options, in: repoRoot.path)
            #expect(r.status == 2, "\(options)")
            #expect(r.stderr == "strat: error: \(message)\n", "\(options)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: s)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: csv)) == beforeCSV)
        // The store is an input too.
        let db = d.appendingPathComponent("x.db").path
        _ = try strat("data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--weekdays", "--db", db)
        let out = try strat("data", "export", "--symbol", "GOOG", "--interval", "1d", "--db", db, "--out", db)
        #expect(out.stderr == "strat: error: --out \(db): that is the store (\(db)); an output never overwrites an input, so choose another path\n")
        let bt = try strat("backtest", s, "--data", "GOOG=db:1d", "--db", db, "--json", db)
        #expect(bt.stderr == "strat: error: --json \(db): that is the store (\(db)); an output never overwrites an input, so choose another path\n")
        #expect(try strat("data", "list", "--db", db).status == 0)
    }

    @Test func fmtWriteKeepsSymlinksModeAndHardLinks() throws {
        let d = try dir()
        let messy = "strategy T{market spot\nwhen close>open{enter long}}\n"
        let formatted = "strategy T {\n  market spot\n  when close > open {\n    enter long\n  }\n}\n"
        let target = d.appendingPathComponent("real.strat").path, link = d.appendingPathComponent("link.strat").path
        let hard = d.appendingPathComponent("hard.strat").path
        try messy.write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: target)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.strat")
        #expect(try strat("fmt", "--write", link).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real.strat")   // still a link
        #expect(try String(contentsOfFile: target, encoding: .utf8) == formatted)
        #expect(try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int == 0o640)
        // A hard link: both names still one file, with the new text.
        try messy.write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
        try FileManager.default.linkItem(atPath: target, toPath: hard)
        #expect(try strat("fmt", "--write", hard).status == 0)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == formatted)
        let a = try FileManager.default.attributesOfItem(atPath: target), b = try FileManager.default.attributesOfItem(atPath: hard)
        #expect(a[.systemFileNumber] as? Int == b[.systemFileNumber] as? Int)
        #expect(a[.referenceCount] as? Int == 2 && a[.posixPermissions] as? Int == 0o600)
        // No temporary file left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.path).sorted() == ["hard.strat", "link.strat", "real.strat"])
    }

    /// A read-only file is not rewritten; a file in a directory that takes no
    /// new file is rewritten in place (run as `nobody` when the tests run as root).
    @Test func fmtWriteRespectsPermissions() throws {
        let d = try dir()
        let messy = "strategy T{market spot\nwhen close>open{enter long}}\n"
        let locked = d.appendingPathComponent("locked.strat").path, open = d.appendingPathComponent("open.strat").path
        try messy.write(toFile: locked, atomically: true, encoding: .utf8)
        try messy.write(toFile: open, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: locked)
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: open)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: d.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: d.path) }
        let command = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", stratBinary.path] : [stratBinary.path]
        let refused = try runProgram(command[0], Array(command.dropFirst()) + ["fmt", "--write", locked])
        #expect(refused.status == 2 && refused.stderr == "strat: error: \(locked): cannot be written: Permission denied\n")
        #expect(try String(contentsOfFile: locked, encoding: .utf8) == messy)
        let written = try runProgram(command[0], Array(command.dropFirst()) + ["fmt", "--write", open])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try String(contentsOfFile: open, encoding: .utf8).hasPrefix("strategy T {\n"))
    }

    @Test func replPlotAndBareDeclarationsSayWhatHappened() throws {
        // A plot over a directory, and one written twice over the same file: the
        // first is refused, the second replaced whole; no temporary file is left.
        let d = scratchDirectory.appendingPathComponent("strat-plot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d.appendingPathComponent("sub.svg"), withIntermediateDirectories: true)
        let r = try runProgram(stratBinary.path, ["repl", "--data", "Data/GOOG.csv"], in: repoRoot.path,
                               input: ":plot close /proc/x.svg\n:plot close /nonexistent/d/x.svg\n:plot close \(d.path)/sub.svg\n"
                                   + ":plot open \(d.path)/p.svg\n:plot close \(d.path)/p.svg\nlet\n")
        #expect(!r.stderr.contains("Domain"))
        #expect(r.stderr.hasPrefix("error: /proc/x.svg: cannot write: No such file or directory\nerror: /nonexistent/d/x.svg: no such directory /nonexistent/d\n"
                                   + "error: \(d.path)/sub.svg: cannot write: Is a directory\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.path).sorted() == ["p.svg", "sub.svg"])
        #expect(try String(contentsOfFile: d.appendingPathComponent("p.svg").path, encoding: .utf8).contains("font-size=\"16\">close</text>"))
        #expect(r.stderr.hasSuffix("""
            <input>:1:4: error[E0101]: expected a name after `let`, found the end of the input
               |
             1 | let
               |    ^

            """))
        #expect(!r.stderr.contains("}") && !r.stderr.contains("Session"))
    }
}

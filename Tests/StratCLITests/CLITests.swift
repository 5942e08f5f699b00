import Foundation
import Testing
import StratTestSupport

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func strat(_ args: String..., cwd: URL = repoRoot) throws -> Run {
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    return try runProgram(stratBinary.path, args, in: cwd.path, environment: env)
}

func temp(_ name: String, _ text: String) throws -> URL {
    let dir = scratchDirectory.appendingPathComponent("strat-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

@Suite struct CLITests {
    @Test func checkEveryExampleStrategy() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: repoRoot.appendingPathComponent("Strategies").path)
            .filter { $0.hasSuffix(".strat") }.sorted()
        #expect(files.count >= 10)
        for f in files {
            let r = try strat("check", "Strategies/\(f)")
            #expect(r.status == 0, "\(f): \(r.stderr)")
            #expect(r.stderr.isEmpty, "\(f): \(r.stderr)")
        }
        let sma = try strat("check", "Strategies/sma_cross.strat")
        #expect(sma.stdout == "SmaCross: inputs fast=10 [5...60], slow=30 [20...250]; symbols from data; timeframes 1d; warm-up 30 bars (up to 250 over input ranges)\n")
    }

    @Test func checkReportsErrorsWithExitOne() throws {
        let f = try temp("bad.strat", "strategy T {\n  market spot\n  let bad = close + volume\n  when bad > 0 { enter long }\n}\n")
        let r = try strat("check", f.path)
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("\(f.path):3:19: error[E0301]: can't add Price and Volume\n"))
        #expect(r.stderr.contains("""
           |
         3 |   let bad = close + volume
           |             ~~~~~ ^ ~~~~~~
        """))
    }

    @Test func checkJSON() throws {
        let f = try temp("bad.strat", "strategy T {\n  market spot\n  when close[-1] > 0 { enter long }\n}\n")
        let r = try strat("check", "--format", "json", f.path)
        #expect(r.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(json.count == 1)
        let d = json[0]
        #expect(d["code"] as? String == "E0404")
        #expect(d["line"] as? Int == 3)
        #expect(d["column"] as? Int == 14)
        #expect(d["endColumn"] as? Int == 16)
        #expect(d["severity"] as? String == "error")
        #expect(d["file"] as? String == f.path)
        let fix = try #require((d["fixIts"] as? [[String: Any]])?.first)
        #expect(fix["replacement"] as? String == "1")
        #expect(d["notes"] is [Any])
    }

    @Test func usageAndIOErrorsExitTwo() throws {
        let missing = try strat("check", "no/such/file.strat")
        #expect(missing.status == 2)
        #expect(missing.stderr == "strat: error: no/such/file.strat: no such file\n")
        #expect(try strat("check").status == 2)
        #expect(try strat("check", "--format", "yaml", "Strategies/sma_cross.strat").status == 2)
    }

    @Test func fmtWritesInPlaceAndIsIdempotent() throws {
        let f = try temp("messy.strat", "strategy T{market spot\nwhen close>open{enter long}}\n")
        let printed = try strat("fmt", f.path)
        #expect(printed.status == 0)
        #expect(printed.stdout == "strategy T {\n  market spot\n  when close > open {\n    enter long\n  }\n}\n")
        #expect(try strat("fmt", "--check", f.path).status == 1)
        #expect(try strat("fmt", "--write", f.path).status == 0)
        #expect(try String(contentsOf: f, encoding: .utf8) == printed.stdout)
        #expect(try strat("fmt", "--check", f.path).status == 0)
    }

    @Test func irAndAst() throws {
        let json = try strat("ir", "--format", "json", "Strategies/sma_cross.strat")
        #expect(json.status == 0)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let s = try #require((obj["strategies"] as? [[String: Any]])?.first)
        #expect(s["name"] as? String == "SmaCross")
        #expect((s["hash"] as? String)?.count == 64)
        // Deterministic: the same input gives the same bytes.
        #expect(try strat("ir", "--format", "json", "Strategies/sma_cross.strat").stdout == json.stdout)
        let text = try strat("ir", "Strategies/sma_cross.strat")
        #expect(text.stdout.contains("%1 = call sma(%0; $fast)"))
        let ast = try strat("ast", "Strategies/sma_cross.strat")
        #expect(ast.status == 0)
        #expect(ast.stdout.hasPrefix("(strategy SmaCross) 3:1-19:2\n  (market spot) 4:3-4:14\n"))
    }
}

import Foundation
import Testing
import StratTestSupport

let postgresServerURL = ProcessInfo.processInfo.environment["STRAT_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

/// `strat data … --postgres URL` against a real server (`STRAT_TEST_POSTGRES_URL`),
/// each test in a database of its own. Left out locally without the URL; in CI
/// (`CI` set) they run and fail without it.
@Suite(.enabled(if: postgresServerURL != nil || ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } == true))
struct PostgresDataCLITests {
    /// A new database on the server (made and dropped with psql), as a URL and as `strat` labels it.
    func withDatabase(_ body: (_ url: String, _ label: String) throws -> Void) throws {
        let server = try #require(postgresServerURL, "STRAT_TEST_POSTGRES_URL is not set; CI must run these tests on PostgreSQL (.ci/run starts one)")
        let name = "strat_cli_" + UUID().uuidString.prefix(8).lowercased()
        let made = try runProgram("/usr/bin/env", ["psql", server, "-qc", "CREATE DATABASE \(name)"])
        try #require(made.status == 0, "\(made.stderr)")
        defer { _ = try? runProgram("/usr/bin/env", ["psql", server, "-qc", "DROP DATABASE \(name) WITH (FORCE)"]) }
        var url = try #require(URLComponents(string: server))
        url.path = "/" + name
        try body(url.string!, "postgres://\(url.user ?? "postgres")@\(url.host!):\(url.port ?? 5432)/\(name)")
    }

    @Test func importListAndExportAsFromAFile() throws {
        try withDatabase { url, label in
            let empty = try strat("data", "list", "--postgres", url)
            #expect(empty.status == 2 && empty.stderr == "strat: error: \(label): no store in schema strat; `strat data import` or `strat data fetch` with --postgres makes one\n", "\(empty.stderr)")
            let file = scratchDirectory.appendingPathComponent("strat-pg-\(UUID().uuidString)/t.db").path
            let args = ["data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--weekdays"]
            let imported = try runStrat(args + ["--postgres", url])
            let sqlite = try runStrat(args + ["--db", file])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout == sqlite.stdout.replacingOccurrences(of: file, with: label))
            #expect(imported.stdout.hasPrefix("imported 2148 bars of GOOG 1d (2148 new) into \(label)\nGOOG 1d: 2148 bars, quality score 96.3/100\n"))
            let again = try runStrat(args + ["--postgres", url])
            #expect(again.stdout.hasPrefix("imported 2148 bars of GOOG 1d (0 new) into \(label)\n"))
            // $STRAT_POSTGRES stands for --postgres.
            let list = try runStrat(["data", "list"], environment: ["STRAT_POSTGRES": url])
            #expect(list.stdout == """
                symbol      interval  market  source   rows      first                 last                  quality
                GOOG        1d        spot    csv      2148      2004-08-19T00:00:00Z  2013-03-01T00:00:00Z  96.3

                """, "\(list.stdout)\(list.stderr)")
            #expect(try runStrat(["data", "list", "--postgres", url]).stdout == list.stdout)
            let export = ["data", "export", "--symbol", "GOOG", "--interval", "1d", "--flags", "--out", "-"]
            let fromServer = try runStrat(export + ["--postgres", url])
            let fromFile = try runStrat(export + ["--db", file])
            #expect(fromServer.status == 0 && fromServer.stdout == fromFile.stdout)
            let quality = try runStrat(["data", "quality", "--symbol", "GOOG", "--interval", "1d", "--postgres", url])
            #expect(quality.stdout.hasPrefix("GOOG 1d (spot, csv): 2148 bars, quality score 54.9/100\n"), "\(quality.stderr)")
        }
    }

    @Test func oneStoreAtATimeAndAServerThatIsNotThere() throws {
        let both = try runStrat(["data", "list", "--db", "x.db", "--postgres", "postgres://u@127.0.0.1:1/d"])
        #expect(both.status == 2 && both.stderr == "strat: error: --db and --postgres name two stores; give one\nstrat: note: see `strat data list --help`\n", "\(both.stderr)")
        let refused = try runStrat(["data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--weekdays",
                                    "--postgres", "postgres://u:hidden@127.0.0.1:1/d?sslmode=disable"])
        #expect(refused.status == 2 && refused.stderr == "strat: error: postgres://u@127.0.0.1:1/d: cannot connect (Connection refused)\n", "\(refused.stderr)")
    }

    func runStrat(_ args: [String], environment extra: [String: String] = [:]) throws -> Run {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "STRAT_POSTGRES")
        env.merge(extra) { $1 }
        return try runProgram(stratBinary.path, args, in: repoRoot.path, environment: env)
    }
}

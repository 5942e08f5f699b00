import ArgumentParser
import Foundation
import StratData
import StratMarket
import StratRun

struct DataBrackets: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "brackets",
        abstract: "Leverage brackets of perpetuals (maintenance margin tiers), dated per symbol.",
        subcommands: [DataBracketsImport.self, DataBracketsList.self])
}

struct DataBracketsImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
        abstract: "Store leverage brackets from a file of Binance's GET /fapi/v1/leverageBracket answer.",
        discussion: """
            The file: [{"symbol":"BTCUSDT","brackets":[{"bracket":1,"initialLeverage":125,"notionalCap":50000,\
            "notionalFloor":0,"maintMarginRatio":0.004,"cum":0},…]}]; an entry may add "liquidationFee": 0.0125. \
            Each symbol's table is in force from --valid-from until a later table's date.
            """)

    @Argument(help: "The JSON file.")
    var file: String

    @Option(name: .customLong("valid-from"), help: "When the table took effect (UTC date or time); default: the date in the file name (…_2024-05-30.json), else today.")
    var validFrom: String?

    @Option(help: "Whose brackets these are.")
    var source = "binance"

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard !source.isEmpty, !source.contains(where: \.isWhitespace) else { throw ValidationError("--source must be one word, got `\(source)`") }
    }

    func run() throws {
        try withUsageErrors {
            let bytes: Data
            do { bytes = try BarCSV.load(path: file) } catch let e as BarCSV.Error { throw UsageError(description: e.description) }
            let entries: [BracketFile.Entry]
            do { entries = try BracketFile.parse(bytes, file: file) } catch let e as FetchError { throw UsageError(description: e.description) }
            var from: Int64
            var said = ""
            if let validFrom {
                guard let t = try parseTime(validFrom, "--valid-from") else { return }
                from = t
            } else if let t = Self.dateInName(file) {
                from = t
                said = " (the date in the file name)"
            } else {
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                from = now - now % 86_400_000
                said = " (today: no --valid-from, and no date in the file name)"
            }
            let db = try store.open()
            let replaced = try db.insertBrackets(entries, validFrom: from, source: source, origin: file, at: Int64(Date().timeIntervalSince1970 * 1000))
            for e in entries {
                let top = e.brackets.first.map { NumberText.readable($0.maxLeverage) } ?? "?"
                let fee = e.liquidationFee.map { ", liquidation fee \(percent($0))" } ?? ""
                print("\(e.symbol): \(e.brackets.count) brackets (up to \(top)x\(fee)) in force from \(UTCTime.format(from))\(said)"
                      + (replaced.contains(e.symbol) ? ", replacing the table stored for that date" : ""))
            }
            print("stored \(entries.count) bracket table\(entries.count == 1 ? "" : "s") in \(db.path)")
        }
    }

    /// `…_2024-05-30.json` → 2024-05-30T00:00:00Z.
    static func dateInName(_ path: String) -> Int64? {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard name.count >= 10 else { return nil }
        let tail = name.suffix(10)
        guard tail.allSatisfy({ $0.isNumber || $0 == "-" }), tail.filter({ $0 == "-" }).count == 2 else { return nil }
        return UTCTime.parse(tail)
    }
}

struct DataBracketsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list",
        abstract: "The stored bracket tables; with --symbol, every bracket of that symbol's tables.")

    @Option(help: "Show this symbol's brackets in full.")
    var symbol: String?

    @OptionGroup var store: StoreOptions

    func run() throws {
        try withUsageErrors {
            let tables = try store.open(readOnly: true).bracketTables(symbol: symbol)
            if tables.isEmpty {
                print((symbol.map { "no brackets stored for \($0)" } ?? "no brackets stored")
                      + "; `strat data brackets import FILE.json` stores some (backtests fall back to \(DefaultBrackets.file) for BTCUSDT and ETHUSDT)")
                return
            }
            if symbol == nil {
                print("symbol      source   valid from            brackets  max leverage  liquidation fee  from")
                for t in tables {
                    print([t.symbol.padding(toLength: 11, withPad: " ", startingAt: 0),
                           t.source.padding(toLength: 8, withPad: " ", startingAt: 0),
                           UTCTime.format(t.table.validFrom).padding(toLength: 21, withPad: " ", startingAt: 0),
                           String(t.table.brackets.count).padding(toLength: 9, withPad: " ", startingAt: 0),
                           (t.table.brackets.first.map { NumberText.readable($0.maxLeverage) + "x" } ?? "—").padding(toLength: 13, withPad: " ", startingAt: 0),
                           (t.liquidationFee.map(percent) ?? "—").padding(toLength: 16, withPad: " ", startingAt: 0),
                           t.origin].joined(separator: " "))
                }
                return
            }
            for t in tables {
                print("\(t.symbol) (\(t.source)) from \(UTCTime.format(t.table.validFrom))" + (t.liquidationFee.map { ", liquidation fee \(percent($0))" } ?? "") + ", imported from \(t.origin)")
                print("  bracket  notional floor   notional cap     max leverage  maint. rate  maint. amount")
                for (i, b) in t.table.brackets.enumerated() {
                    print("  " + [String(i + 1).padding(toLength: 8, withPad: " ", startingAt: 0),
                                  NumberText.readable(b.notionalFloor).padding(toLength: 16, withPad: " ", startingAt: 0),
                                  NumberText.readable(b.notionalCap).padding(toLength: 16, withPad: " ", startingAt: 0),
                                  (NumberText.readable(b.maxLeverage) + "x").padding(toLength: 13, withPad: " ", startingAt: 0),
                                  percent(b.maintenanceRate).padding(toLength: 12, withPad: " ", startingAt: 0),
                                  NumberText.readable(b.maintenanceAmount)].joined(separator: " "))
                }
            }
        }
    }
}

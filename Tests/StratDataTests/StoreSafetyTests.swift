import Foundation
import GRDB
import StratData
import StratMarket
import StratTestSupport
import Testing

/// The store never loses or silently changes what it holds (issue 11, B):
/// conflicting re-imports follow a policy, reads create nothing, and every
/// SQLite failure is a `StoreError` naming the file.
@Suite struct StoreSafetyTests {
    let key = SeriesKey(symbol: "X", interval: 3600)

    @Test(arguments: Backend.available) func reimportedBarsWithOtherPricesFollowThePolicy(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let bars = (0..<10).map { bar(Int64($0), 100 + Double($0)) }
            #expect(try store.insert(bars, key: key, onConflict: .reject) == InsertSummary(new: 10, changed: 0, examples: []))
            // The same bars again: no conflict.
            #expect(try store.insert(bars, key: key, onConflict: .reject) == InsertSummary(new: 0, changed: 0, examples: []))
            // Bars 3 and 7 changed, one bar new.
            var again = bars + [bar(10, 110)]
            again[3].close = 50; again[3].low = 50
            again[7].volume = 99
            #expect(throws: ConflictError.self) { try store.insert(again, key: key, onConflict: .reject) }
            do { _ = try store.insert(again, key: key, onConflict: .reject) } catch let e as ConflictError {
                #expect(e.changed == 2 && e.examples.map(\.stored) == [bars[3], bars[7]] && e.examples.map(\.incoming) == [again[3], again[7]])
                #expect(e.description.hasPrefix("2 bars of X differ from the ones stored in \(store.label); nothing imported\n  2024-01-01T03:00:00Z: stored 103.0 103.0 103.0 103.0 10.0, imported 103.0 103.0 50.0 50.0 10.0 (open high low close volume)\n"))
            }
            #expect(try store.bars(key) == bars)                     // nothing written, not even the new bar
            let kept = try store.insert(again, key: key, onConflict: .keep)
            #expect(kept.new == 1 && kept.changed == 2)
            #expect(try store.bars(key) == bars + [bar(10, 110)])   // the stored prices stay
            // Rows out of order (kept under --on-order flag) are compared all the same.
            #expect(try store.insert(again.reversed(), key: key, onConflict: .keep).changed == 2)
            let replaced = try store.insert(again, key: key, onConflict: .replace)
            #expect(replaced.new == 0 && replaced.changed == 2)
            #expect(try store.bars(key) == again)
        }
    }

    @Test func aReadOnlyOpenCreatesNothing() throws {
        let dir = scratchDirectory.appendingPathComponent("strat-ro-\(UUID().uuidString)")
        let path = dir.appendingPathComponent("x.db").path
        #expect(throws: StoreError.self) { try Store(path: path, readOnly: true) }
        do { _ = try Store(path: path, readOnly: true) } catch let e as StoreError {
            #expect(e.description == "\(path): no such store; `strat data import` or `strat data fetch` makes one")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path))
        // A store made, then read read-only: the bars are there; writing is refused in words.
        try Store(path: path).insert([bar(0, 1)], key: key)
        let reader = try Store(path: path, readOnly: true)
        #expect(try reader.bars(key) == [bar(0, 1)])
        #expect(throws: StoreError.self) { try reader.insert([bar(1, 1)], key: key) }
        // A file that is not a store.
        let other = dir.appendingPathComponent("notes.txt").path
        try "hello".write(toFile: other, atomically: true, encoding: .utf8)
        do { _ = try Store(path: other, readOnly: true); Issue.record("opened a text file") } catch let e as StoreError {
            #expect(e.description.hasPrefix("\(other): not a strat store, or a damaged one"))
        }
        let empty = dir.appendingPathComponent("empty.db").path
        _ = try DatabaseQueue(path: empty).write { try $0.execute(sql: "CREATE TABLE t (x)") }
        do { _ = try Store(path: empty, readOnly: true); Issue.record("opened a database without bars") } catch let e as StoreError {
            #expect(e.description == "\(empty): not a strat store (it has no bars table)")
        }
        do { _ = try Store(path: dir.path); Issue.record("opened a directory") } catch let e as StoreError {
            #expect(e.description.hasPrefix("\(dir.path): is a directory; expected a store file"))
        }
    }

    @Test func aLockedStoreIsAStoreErrorInWords() throws {
        let path = tempDB()
        let store = try Store(path: path)
        // Another connection holds the write lock longer than a store would wait
        // (the error is what a writer sees after its busy timeout).
        var config = Configuration()
        config.busyMode = .immediateError
        let other = try DatabaseQueue(path: path, configuration: config)
        try other.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            defer { try? db.execute(sql: "ROLLBACK") }
            let e = #expect(throws: StoreError.self) { try Store(path: path, busyTimeout: 0.2).startFetch(key, from: 0, to: 1, at: 0) }
            #expect(e?.description == "\(path): the store is busy: another process held it for more than 0.2 s; try again when it is done")
        }
        // Free again: the write goes through.
        #expect(try store.startFetch(key, from: 0, to: 1, at: 0) == 1)
    }
}

import Foundation
import StratSema
import Testing

/// Grammar/strat.tmLanguage.json highlights exactly the built-ins the checker
/// knows: its indicator, math and calendar patterns list every name of
/// `Builtin.all` and nothing else.
@Suite struct GrammarTests {
    @Test func highlightedFunctionsAreTheBuiltins() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Grammar/strat.tmLanguage.json")
        let grammar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let repository = try #require(grammar["repository"] as? [String: Any])
        let patterns = try #require((repository["functions"] as? [String: Any])?["patterns"] as? [[String: String]])
        var names: [String] = []
        for p in patterns where ["indicator", "math", "calendar"].map({ "support.function.\($0).strat" }).contains(p["name"]) {
            let match = try #require(p["match"])
            let list = try #require(match.split(separator: "(", maxSplits: 1).last?.split(separator: ")").first)
            names += list.split(separator: "|").map(String.init)
        }
        #expect(names.sorted() == Builtin.all.keys.sorted())
    }
}

import Foundation
import StratLSP
import Testing

/// Scoping as the checker's: a function's parameter shadows a strategy name
/// inside the function; labels and members are not uses.
@Suite struct NavigationTests {
    static let text = """
        strategy S {
          let a = close
          fn f(a) = a * 2
          let (upper, middle, lower) = bbands(a, 20, k: 2)
          let k = upper - lower
          when f(a) > open and k > 0 and middle > 0 { enter long }
        }
        """

    func references(_ line: Int, _ character: Int) -> [String] {
        let r = HostileInputTests().open(Self.text)
        _ = r.feed(#"{"jsonrpc": "2.0", "id": 5, "method": "textDocument/references", "params": {"textDocument": {"uri": "file:///h.strat"}, "position": {"line": \#(line), "character": \#(character)}, "context": {"includeDeclaration": true}}}"#)
        let found = r.sent.last { ($0["id"] as? Int) == 5 }?["result"] as? [JSONObject] ?? []
        return found.map { loc in
            let start = (loc["range"] as! JSONObject)["start"] as! JSONObject
            return "\(start["line"]!):\(start["character"]!)"
        }
    }

    @Test func strategyNameSkipsTheShadowingFunction() {
        #expect(references(1, 6) == ["1:6", "3:38", "5:9"])
    }

    @Test func parameterStaysInItsFunction() {
        #expect(references(2, 12) == ["2:7", "2:12"])
    }

    /// `k:` labels bbands' argument; only `k > 0` uses the let.
    @Test func labelsAreNotUses() {
        #expect(references(4, 6) == ["4:6", "5:23"])
    }
}

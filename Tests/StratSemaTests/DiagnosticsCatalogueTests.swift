import Foundation
import StratIR
import StratSyntax
import Testing

/// Docs/Diagnostics.md is the catalogue: every code has an entry, and every
/// entry's example gives its code at the marked place.
@Suite struct DiagnosticsCatalogueTests {
    static func entries() throws -> [(code: String, example: String)] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Docs/Diagnostics.md")
        let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        var result: [(String, String)] = []
        var code: String?
        var block: [String]?
        for line in lines {
            if line.hasPrefix("### ") { code = String(line.dropFirst(4).prefix(5)) }
            else if line == "```strat" { block = [] }
            else if line == "```", let b = block, let c = code { result.append((c, b.joined(separator: "\n"))); block = nil; code = nil }
            else if block != nil { block!.append(line) }
        }
        return result
    }

    @Test func everyCodeIsDocumentedOnce() throws {
        let documented = try Self.entries().map(\.code)
        #expect(documented.sorted() == DiagnosticCode.allCases.map(\.rawValue).sorted())
    }

    @Test func everyExampleGivesItsCode() throws {
        for (code, example) in try Self.entries() {
            let (text, line, column) = prepare(ErrorCase(code, example))
            let file = SourceFile(name: "doc.strat", text: text)
            let found = Compiler.compile(file).diagnostics.map { d in
                (d.code.rawValue, file.lineColumn(of: d.range.start).line, file.lineColumn(of: d.range.start).column)
            }
            #expect(found.contains { $0 == (code, line, column) }, "Docs/Diagnostics.md \(code): got \(found)")
        }
    }
}

import Foundation
import StratFuzzChecks
import StratMarket
import Testing

/// The bar CSV reader's fuzz checks (`FuzzChecks.barCSV`) on every input the
/// libFuzzer target once failed on, and on seeded mutations of real files.
@Suite struct BarCSVFuzzTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func barCSVFuzzerFindsStayFixed() throws {
        let dir = Self.root.appendingPathComponent("Fuzz/Regressions/BarCSV")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") && $0.lastPathComponent != "README.md" }
        for url in files.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            let problems = FuzzChecks.barCSV(Array(try Data(contentsOf: url)))
            #expect(problems.isEmpty, "\(url.lastPathComponent): \(problems.joined(separator: "\n"))")
        }
    }

    @Test func mutatedFilesAreReadOrRefusedWithALine() throws {
        var rng = SplitMix64(seed: 7)
        let pieces: [[UInt8]] = [",", "\n", "\r\n", "\"", "-", "0", "1e308", "nan", "inf", "9223372036854775807", "-9223372036854775808",
                                 "2024-02-30T25:61:61Z", "1970-01-01T00:00:00Z", "99999-01-01", " ", "\u{FEFF}", ";", "\t", "bid,ask"].map { Array($0.utf8) }
        for name in ["GOOG.csv", "EURUSD.csv"] {
            let head = Array(try Data(contentsOf: Self.root.appendingPathComponent("Data/\(name)")).prefix(3_000))
            #expect(FuzzChecks.barCSV(head).isEmpty)
            for _ in 0..<400 {
                var bytes = head
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...10, using: &rng)))
                    case 1: bytes.insert(contentsOf: pieces.randomElement(using: &rng)!, at: i)
                    case 2: bytes = Array(bytes.prefix(i))
                    default: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                    }
                    if bytes.isEmpty { break }
                }
                let problems = FuzzChecks.barCSV(bytes)
                #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))\n\(String(decoding: bytes.prefix(400), as: UTF8.self))")
            }
        }
    }
}

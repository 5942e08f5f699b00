import Foundation

/// The repository root, found from this file's path (tests run in the source tree).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func strategyFiles() throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: repoRoot.appendingPathComponent("Strategies"), includingPropertiesForKeys: nil)
        .filter { $0.pathExtension == "strat" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

/// The inputs a libFuzzer target once failed on (Fuzz/Regressions/TARGET).
func regressionFiles(_ target: String) throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: repoRoot.appendingPathComponent("Fuzz/Regressions/\(target)"),
                                                includingPropertiesForKeys: nil)
        .filter { !$0.lastPathComponent.hasPrefix(".") && $0.lastPathComponent != "README.md" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the tests put their files: one directory per test process, under the
/// system's temporary directory, removed when the process exits, so that a run
/// of the tests leaves nothing behind in /tmp.
///
///     let dir = scratchDirectory.appendingPathComponent("strat-cli-\(UUID().uuidString)")
public let scratchDirectory: URL = {
    try? FileManager.default.createDirectory(atPath: scratchPath, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchPath) }
    return URL(fileURLWithPath: scratchPath, isDirectory: true)
}()

private let scratchPath = FileManager.default.temporaryDirectory.appendingPathComponent("strat-tests-\(getpid())").path

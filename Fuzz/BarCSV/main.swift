#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FuzzDriver
import StratFuzzChecks

/// libFuzzer target: the bytes as a bar CSV file through `FuzzChecks.barCSV`.
/// Built only for fuzzing (Package.swift, .ci/run).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBarCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let problems = FuzzChecks.barCSV(Array(UnsafeBufferPointer(start: data, count: size)))
    if !problems.isEmpty { fatalError(problems.joined(separator: "\n")) }
    return 0
}

exit(runFuzzer(fuzzBarCSV))

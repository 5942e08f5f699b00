#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FuzzDriver
import StratFuzzChecks

/// libFuzzer target: the bytes as source text (invalid UTF-8 replaced, as a
/// file is read) through `FuzzChecks.frontEnd`; a failed check stops the run
/// with the input saved. Built only for fuzzing (Package.swift, .ci/run).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrontEnd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let problems = FuzzChecks.frontEnd(text)
    if !problems.isEmpty { fatalError(problems.joined(separator: "\n")) }
    return 0
}

exit(runFuzzer(fuzzFrontEnd))

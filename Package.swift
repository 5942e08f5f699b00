// swift-tools-version:6.2
import PackageDescription

// Module layout: see Docs/Architecture.md. Dependencies point one way:
// StratSyntax ← StratSema ← StratIR ← (runtime, engine, …) ← strat.
// Hot modules skip the dynamic exclusivity checks in release builds (the
// static checks stay); see Docs/Performance.md. Tools version 6.2 or later is
// what lets other packages depend on a tagged release despite these unsafe
// flags (6.0 refuses: "contains unsafe build flags").
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Strat",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "strat", targets: ["strat"]),
        .library(name: "StratSyntax", targets: ["StratSyntax"]),
        .library(name: "StratSema", targets: ["StratSema"]),
        .library(name: "StratIR", targets: ["StratIR"]),
        .library(name: "StratIndicators", targets: ["StratIndicators"]),
        .library(name: "StratMarket", targets: ["StratMarket"]),
        .library(name: "StratRuntime", targets: ["StratRuntime"]),
        .library(name: "StratEngine", targets: ["StratEngine"]),
        .library(name: "StratBacktest", targets: ["StratBacktest"]),
        .library(name: "StratREPL", targets: ["StratREPL"]),
        .library(name: "StratData", targets: ["StratData"]),
        .library(name: "StratBatch", targets: ["StratBatch"]),
        .library(name: "StratQueue", targets: ["StratQueue"]),
        .library(name: "StratLSP", targets: ["StratLSP"]),
        .library(name: "StratReport", targets: ["StratReport"]),
        .library(name: "StratRun", targets: ["StratRun"]),
        .library(name: "StratServer", targets: ["StratServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.0"),
    ],
    targets: [
        .target(name: "StratSyntax"),
        .target(name: "StratSema", dependencies: ["StratSyntax"]),
        .target(name: "StratIR", dependencies: [
            "StratSema",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "StratIndicators"),
        // postgres:// URLs, for the queue's and the store's connections.
        .target(name: "StratPostgres", dependencies: [.product(name: "PostgresNIO", package: "postgres-nio")]),
        .target(name: "StratMarket", swiftSettings: fast),
        .target(name: "StratEngine", dependencies: ["StratMarket"], swiftSettings: fast),
        .target(name: "StratData", dependencies: ["StratMarket", "StratPostgres", .product(name: "GRDB", package: "GRDB.swift"),
                                                 .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                 .product(name: "Crypto", package: "swift-crypto"),
                                                 .product(name: "PostgresNIO", package: "postgres-nio")]),
        .target(name: "StratBacktest", dependencies: ["StratEngine", "StratRuntime", "StratIR", "StratMarket",
                                                     .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: fast),
        // Sweeps, walk-forward, overfitting guards and the result cache (Docs/Batch.md).
        .target(name: "StratBatch", dependencies: ["StratBacktest", "StratEngine", "StratIR", "StratMarket", "StratRuntime", "StratData",
                                                  "StratSyntax", "StratSema", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: fast),
        // The durable job queue: SQLite (GRDB) and PostgreSQL (postgres-nio) behind one protocol (Docs/Queue.md).
        .target(name: "StratQueue", dependencies: ["StratPostgres", .product(name: "GRDB", package: "GRDB.swift"),
                                                  .product(name: "PostgresNIO", package: "postgres-nio")]),
        // The language server (`strat lsp`, Docs/Editors.md): JSON-RPC over stdio on Foundation's JSON.
        .target(name: "StratLSP", dependencies: ["StratSyntax", "StratSema", "StratIR"]),
        // The HTML report and `strat explain`, from a result's JSON (Docs/Reports.md).
        .target(name: "StratReport", dependencies: ["StratBacktest", "StratBatch", "StratMarket"]),
        // One backtest or sweep from options and data, as the CLI, the REPL and the server run it (typed errors).
        .target(name: "StratRun", dependencies: ["StratBacktest", "StratBatch", "StratData", "StratEngine", "StratIR", "StratMarket",
                                                "StratRuntime", "StratSema", "StratSyntax"]),
        // `strat serve` and `strat worker`: the HTTP API (Hummingbird), tokens and limits, workers over StratQueue (Docs/Service.md).
        .target(name: "StratServer", dependencies: ["StratQueue", "StratRun", "StratReport", "StratBacktest", "StratBatch", "StratData", "StratIR", "StratMarket",
                                                   "StratRuntime", "StratSyntax",
                                                   .product(name: "Hummingbird", package: "hummingbird"),
                                                   .product(name: "Logging", package: "swift-log"),
                                                   .product(name: "Prometheus", package: "swift-prometheus"),
                                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                                   .product(name: "GRDB", package: "GRDB.swift"),
                                                   .product(name: "PostgresNIO", package: "postgres-nio"),
                                                   .product(name: "Crypto", package: "swift-crypto")],
                resources: [.embedInCode("openapi.json")]),
        .systemLibrary(name: "CReadline", pkgConfig: "readline", providers: [.apt(["libreadline-dev"])]),
        // Swift 5 mode: readline's state is C globals, which Swift 6 rejects as shared mutable state.
        .target(name: "StratREPL", dependencies: ["CReadline", "StratBacktest", "StratRuntime", "StratIR", "StratSema",
                                                 "StratSyntax", "StratMarket", "StratEngine", "StratData", "StratReport", "StratRun"],
                swiftSettings: [.swiftLanguageMode(.v5)]),
        .target(name: "StratRuntime", dependencies: ["StratSyntax", "StratSema", "StratIR", "StratIndicators", "StratMarket"], swiftSettings: fast),
        .executableTarget(name: "strat", dependencies: [
            "StratSyntax", "StratSema", "StratIR", "StratIndicators", "StratMarket", "StratRuntime", "StratEngine", "StratBacktest", "StratREPL", "StratData", "StratBatch", "StratLSP", "StratReport", "StratRun", "StratServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "StratSyntaxTests", dependencies: ["StratSyntax"]),
        .testTarget(name: "StratSemaTests", dependencies: ["StratSema", "StratIR"]),
        .testTarget(name: "StratIRTests", dependencies: ["StratIR", "StratMarket", "StratFuzzChecks"]),
        .testTarget(name: "StratMarketTests", dependencies: ["StratMarket", "StratFuzzChecks"]),
        .testTarget(name: "StratRuntimeTests", dependencies: ["StratRuntime", "StratIR", "StratMarket", "StratIndicators"]),
        .testTarget(name: "StratEngineTests", dependencies: ["StratEngine", "StratMarket"]),
        .testTarget(name: "StratBacktestTests", dependencies: ["StratBacktest", "StratEngine", "StratIR", "StratMarket", "StratRuntime", "StratSyntax",
                                                              "StratTestSupport"]),
        .testTarget(name: "StratREPLTests", dependencies: ["StratREPL", "StratMarket"]),
        .testTarget(name: "StratDataTests", dependencies: ["StratData", "StratMarket", "StratPostgres", "StratTestSupport",
                                                          .product(name: "GRDB", package: "GRDB.swift"),
                                                          .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(name: "StratBatchTests", dependencies: ["StratBatch", "StratBacktest", "StratIR", "StratMarket", "StratSyntax", "StratTestSupport"]),
        .testTarget(name: "StratRunTests", dependencies: ["StratRun", "StratBacktest", "StratBatch", "StratData", "StratMarket", "StratSyntax",
                                                        "StratTestSupport"]),
        .testTarget(name: "StratLSPTests", dependencies: ["StratLSP", "StratSyntax"]),
        .testTarget(name: "StratCLITests", dependencies: ["strat", "StratTestSupport"]),
        // WSClient speaks the DevTools protocol to headless Chromium (the web page's browser test).
        .testTarget(name: "StratServerTests", dependencies: ["StratServer", "StratTestSupport", "strat",
                                                            .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                            .product(name: "WSClient", package: "swift-websocket")]),
        .testTarget(name: "StratQueueTests", dependencies: ["StratQueue", "StratQueueWorker", "StratPostgres", "StratTestSupport",
                                                           .product(name: "GRDB", package: "GRDB.swift"),
                                                           .product(name: "PostgresNIO", package: "postgres-nio")]),
        // A worker process for the queue tests (several at once, one SIGKILLed); not a product.
        .executableTarget(name: "StratQueueWorker", dependencies: ["StratQueue"], path: "Tests/StratQueueWorker"),
        // Runs the CLI and tmux as child processes for the tests above.
        .target(name: "StratTestSupport", path: "Tests/StratTestSupport"),
        // What the fuzzers check, also run by the tests on what they found.
        .target(name: "StratFuzzChecks", dependencies: ["StratIR", "StratSyntax", "StratMarket"], path: "Fuzz/Checks"),
    ]
)

// The libFuzzer targets exist only when STRAT_FUZZ is set: they call libFuzzer's
// driver, which only `-sanitize=fuzzer` links, so a normal build could not link
// them. .ci/run builds them in .build-fuzz:
//   STRAT_FUZZ=1 swift build --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer --product FuzzFrontEnd
if Context.environment["STRAT_FUZZ"] != nil {
    package.targets += [
        .target(name: "FuzzDriver", path: "Fuzz/Driver"),
        .executableTarget(name: "FuzzFrontEnd", dependencies: ["FuzzDriver", "StratFuzzChecks"], path: "Fuzz/FrontEnd"),
        .executableTarget(name: "FuzzBarCSV", dependencies: ["FuzzDriver", "StratFuzzChecks"], path: "Fuzz/BarCSV"),
    ]
}

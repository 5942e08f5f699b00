import Foundation
import StratBacktest
import StratBatch
import StratIR
import StratRuntime

/// What a sweep explores and how its points are ranked, as `strat batch` takes
/// it (JSON keys: the flags in snake case; `where` for `--where`).
///
///     let sweep = try prepared.sweep(SweepSpec(grid: ["fast=5...20:5"], seed: 7))
///     let results = sweep.points.indices.map { i in
///         PointResult(point: sweep.points[i], result: try prepared.run(sweep.configs[i], details: false, curve: false), keepEquity: false) }
///     let json = sweep.reportJSON(results)   // the rows of `strat batch --out x.json`
public struct SweepSpec: Codable, Sendable, Equatable {
    /// NAME=A...B[:STEP] or NAME=v1,v2,… over inputs.
    public var grid: [String]
    /// NAME=v1,v2,… over engine settings (`SweepSpec.settings`).
    public var vary: [String]
    /// Draw this many points instead of the whole grid.
    public var random: Int?
    /// The seed of `random`; nil draws one (the sweep says which).
    public var seed: UInt64?
    /// Keep the points where this holds, e.g. `fast < slow`.
    public var where_: String?
    public var objective: String
    public var top: Int
    public var pboBlocks: Int

    public init(grid: [String] = [], vary: [String] = [], random: Int? = nil, seed: UInt64? = nil, where_: String? = nil,
                objective: String = "sharpe", top: Int = 10, pboBlocks: Int = 16) {
        self.grid = grid
        self.vary = vary
        self.random = random
        self.seed = seed
        self.where_ = where_
        self.objective = objective
        self.top = top
        self.pboBlocks = pboBlocks
    }

    enum CodingKeys: String, CodingKey {
        case grid, vary, random, seed, where_ = "where", objective, top, pboBlocks = "pbo_blocks"
    }

    /// A sweep from a JSON object; an unknown key or a wrong type is a `RunError` naming the key.
    public static func decode(_ json: Data) throws(RunError) -> SweepSpec {
        do { return try JSONDecoder().decode(SweepSpec.self, from: json) } catch let e as RunError { throw e } catch {
            throw .invalidOption("the sweep is not a JSON object of its keys: \(String(describing: error))")
        }
    }

    /// Keys left out take the CLI's defaults.
    public init(from decoder: any Decoder) throws {
        let known = ["grid", "vary", "random", "seed", "where", "objective", "top", "pbo_blocks"]
        if let unknown = try decoder.container(keyedBy: BacktestOptions.Key.self).allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw RunError.unknownOptionKey(key: unknown, known: known)
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ expected: String) throws -> T? {
            do { return try c.decodeIfPresent(T.self, forKey: key) } catch { throw RunError.invalidOption("`\(key.rawValue)` must be \(expected)") }
        }
        self.init(grid: try value(.grid, "an array of strings") ?? [], vary: try value(.vary, "an array of strings") ?? [],
                  random: try value(.random, "a whole number"), seed: try value(.seed, "a whole number from 0 to 2^64-1"),
                  where_: try value(.where_, "a string"), objective: try value(.objective, "a string") ?? "sharpe",
                  top: try value(.top, "a whole number") ?? 10, pboBlocks: try value(.pboBlocks, "a whole number") ?? 16)
    }

    /// The engine settings `vary` can vary (named as the CLI's flags).
    public static let settings = ["fees", "maker-fees", "taker-fees", "half-spread", "slippage", "latency", "fill", "participation",
                                  "lot-size", "tick-size", "capital"]

    /// The ranges of `strat batch`'s options (messages name its flags).
    public func validate() throws(RunError) {
        try checkOption("--random", random, from: 1, to: SearchSpace.maxPoints, unit: "a number of points")
        try checkOption("--top", top, from: 0, to: SearchSpace.maxPoints, unit: "a number of points")
        guard Objective(rawValue: objective) != nil else {
            throw .invalidOption("--objective must be one of \(Objective.allCases.map(\.rawValue).joined(separator: ", ")), got `\(objective)`")
        }
        if grid.isEmpty, random == nil { throw .invalidOption("give the points: --grid NAME=A...B[:STEP] (repeatable) or --random N") }
        guard (2...20).contains(pboBlocks), pboBlocks % 2 == 0 else { throw .invalidOption("--pbo-blocks must be even, from 2 to 20, got \(pboBlocks)") }
    }
}

/// A sweep's points and each one's configuration, in a fixed order (the same
/// for the same spec and seed), so its runs can be split by index range and
/// their results put back together.
public struct Sweep: Sendable {
    public let strategy: String
    public let spec: SweepSpec
    public let space: SearchSpace
    public let points: [Point]
    /// The configuration of each point, checked.
    public let configs: [BacktestConfig]
    /// The seed the points were drawn with (`random`), given or drawn.
    public let seed: UInt64?

    public var objective: Objective { Objective(rawValue: spec.objective)! }

    /// The ranked report of the points' results (by point index; nil: not run).
    public func report(_ results: [PointResult?]) -> BatchReport {
        BatchReport(strategy: strategy, objective: objective, inputNames: points.first?.inputs.map(\.name) ?? [],
                    settingNames: space.settings.map(\.name), results: results, seed: seed)
    }

    /// `strat batch --out FILE.json`'s text: the report with its overfitting guards.
    public func reportJSON(_ results: [PointResult?]) -> String {
        let report = report(results)
        return report.json(extra: OverfittingGuards(report.rows, blocks: spec.pboBlocks).json)
    }
}

extension PreparedRun {
    /// The points of `spec` (every one checked, and configured, before anything runs).
    public func sweep(_ spec: SweepSpec) throws(RunError) -> Sweep {
        try spec.validate()
        let s = strategy
        var space = SearchSpace()
        try RunError.typed {
            space.inputs = try spec.grid.map { try SearchSpace.inputDimension($0, strategy: s) }
            space.settings = try spec.vary.map { try SearchSpace.settingDimension($0, allowed: SweepSpec.settings) }
        }
        var seen = Set<String>()
        if let twice = (space.inputs + space.settings).map(\.name).first(where: { !seen.insert($0).inserted }) {
            throw .invalidPoint("\(twice) is varied twice; give each input or setting once")
        }
        if let fixed = space.inputs.first(where: { d in options.set.contains { $0.hasPrefix(d.name + "=") } }) {
            throw .invalidPoint("--set \(fixed.name) and --grid \(fixed.name): an input is either fixed or varied")
        }
        let constraint = try RunError.typed { try spec.where_.map { try Constraint($0, inputs: s.inputs.map(\.name)) } }
        let base = config
        let keep: (Point) throws -> Bool = { p in
            guard let constraint else { return true }
            return try constraint.holds(inputValues(p, base: base))
        }
        let seed = spec.random == nil ? nil : spec.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let points = try RunError.typed { try spec.random.map { try space.random($0, seed: seed!, strategy: s, where: keep) } ?? space.points(where: keep) }
        guard !points.isEmpty else { throw .invalidPoint("no point is left" + (spec.where_.map { " where `\($0)` holds" } ?? "")) }
        var variants: [[Point.Assignment]: BacktestConfig] = [:]
        var configs: [BacktestConfig] = []
        configs.reserveCapacity(points.count)
        for p in points {
            var c: BacktestConfig
            if let known = variants[p.settings] { c = known } else { c = try settingsConfig(p.settings) }
            variants[p.settings] = c
            c.inputs = try inputValues(p, base: base)
            configs.append(c)
        }
        return Sweep(strategy: s.name, spec: spec, space: space, points: points, configs: configs, seed: seed)
    }

    /// The configuration of a combination of settings: these options with
    /// those given instead, checked the same way.
    func settingsConfig(_ settings: [Point.Assignment]) throws(RunError) -> BacktestConfig {
        var o = options
        for a in settings {
            func number() throws(RunError) -> Double {
                guard let v = Double(a.value) else { throw .invalidPoint("--vary \(a.name): `\(a.value)` is not a number") }
                return v
            }
            switch a.name {
            case "fees": o.fees = try number()
            case "maker-fees": o.makerFees = try number()
            case "taker-fees": o.takerFees = try number()
            case "half-spread": o.halfSpread = try number()
            case "slippage": o.slippage = a.value
            case "latency":
                guard let v = Int64(a.value) else { throw .invalidPoint("--vary latency: `\(a.value)` is not a whole number of milliseconds") }
                o.latency = v
            case "fill": o.fill = a.value
            case "participation": o.participation = try number()
            case "lot-size": o.lotSize = try number()
            case "tick-size": o.tickSize = try number()
            case "capital": o.capital = try number()
            default: throw .invalidPoint("--vary \(a.name): not a setting that can vary")
            }
        }
        do { try o.validate() } catch {
            throw .invalidPoint("--vary \(settings.map { "\($0.name)=\($0.value)" }.joined(separator: " ")): \(error.description)")
        }
        var c = config
        let instruments = c.execution.instruments
        c.execution = try o.execution(market: strategy.market.kind)
        c.execution.instruments = instruments
        c.capital = o.capital
        return c
    }

    /// The inputs of a point over those `set` fixes.
    func inputValues(_ p: Point, base: BacktestConfig) throws(RunError) -> [String: Double] {
        var v = base.inputs
        for a in p.inputs {
            guard let input = strategy.inputs.first(where: { $0.name == a.name }), let x = InputBinding.parse(a.value, type: input.type) else {
                throw .invalidPoint("the point \(p.label): `\(a.value)` is not a value of input `\(a.name)`")
            }
            v[a.name] = x
        }
        // Inputs the constraint reads but no one set: their defaults.
        for input in strategy.inputs where v[input.name] == nil { v[input.name] = input.defaultValue }
        return v
    }
}

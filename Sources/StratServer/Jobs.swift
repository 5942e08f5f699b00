import Crypto
import Foundation
import StratBacktest
import StratIR
import StratMarket
import StratBatch
import StratData
import StratQueue
import StratRun
import StratRuntime
import StratSyntax

/// A submission's body (BacktestRequest or BatchRequest in openapi.json),
/// decoded after the document's schema has passed it.
struct Submission: Codable, Sendable {
    var strategy: String?
    var strategyFile: String?
    var data: [DataItem]
    var options: JSONValue?
    var sweep: SweepRequest?

    enum CodingKeys: String, CodingKey { case strategy, strategyFile = "strategy_file", data, options, sweep }
}

struct DataItem: Codable, Sendable {
    var symbol: String
    var csv: String?
    var interval: String?
    var market: String?
    var source: String?
}

struct SweepRequest: Codable, Sendable {
    var grid: [String]?
    var vary: [String]?
    var random: Int?
    var seed: UInt64?
    var `where`: String?
    var objective: String?
    var pboBlocks: Int?
    var pointsPerJob: Int?

    enum CodingKeys: String, CodingKey { case grid, vary, random, seed, `where`, objective, pboBlocks = "pbo_blocks", pointsPerJob = "points_per_job" }

    var spec: SweepSpec {
        var s = SweepSpec(grid: grid ?? [], vary: vary ?? [], random: random, seed: seed, where_: self.where)
        if let objective { s.objective = objective }
        if let pboBlocks { s.pboBlocks = pboBlocks }
        return s
    }
}

struct CheckRequest: Codable {
    var strategy: String
    var file: String?
}

/// What a queued job holds: everything it needs, the strategy's text and the
/// CSV included (a worker elsewhere needs nothing but the database), with
/// stored series by name. `from`/`to`: a batch slice's points.
struct JobPayload: Codable, Sendable {
    var strategy: String
    var file: String
    var data: [DataItem]
    var options: JSONValue
    var sweep: SweepRequest?
    var from: Int?
    var to: Int?
    var maxRunSeconds: Int

    /// What the job computes, for the result's key: not its run-time limit.
    var contentHash: String {
        var work = self
        work.maxRunSeconds = 0
        let bytes = Jobs.encode(work)
        return SHA256.hash(data: Data("strat \(Provenance.engineVersion)\n".utf8) + bytes).map { String(format: "%02x", $0) }.joined()
    }
}

/// Admitting submissions (every check a run would make, before anything is
/// queued), running jobs, and assembling a batch's slices: the same library
/// calls as `strat backtest` and `strat batch`, so results match them to the bit.
public struct Jobs: Sendable {
    public static let backtest = "backtest"
    public static let batchSlice = "batch-slice"
    public static let defaultPointsPerJob = 50

    /// The market-data store stored series are read from.
    public var store: StoreLocation
    /// Where `strategy_file` names are looked up (nil: only source text is taken).
    public var strategies: String?

    public init(store: StoreLocation, strategies: String?) {
        self.store = store
        self.strategies = strategies
    }

    struct Admitted { var index: Int; var payload: Data; var hash: String }

    func admitBacktest(_ s: Submission, limits: TokenLimits) throws -> Admitted {
        let payload = try payload(s, limits: limits)
        _ = try prepare(payload, limits: limits)
        return Admitted(index: 0, payload: Self.encode(payload), hash: payload.contentHash)
    }

    func admitBatch(_ s: Submission, limits: TokenLimits) throws -> (request: Data, points: Int, slices: [Admitted]) {
        var payload = try payload(s, limits: limits)
        guard var sweep = payload.sweep else { throw Problem.invalid("/sweep", "a batch needs `sweep`") }
        // Drawn points need one seed for every slice.
        if sweep.random != nil, sweep.seed == nil { sweep.seed = UInt64.random(in: 1...UInt64(UInt32.max)) }
        payload.sweep = sweep
        let prepared = try prepare(payload, limits: limits)
        let points = try problem { try prepared.sweep(sweep.spec) }.points.count
        guard points <= limits.maxPointsPerBatch else {
            throw Problem.tooLarge("too-many-points", "the sweep has \(points) points; this token may run at most \(limits.maxPointsPerBatch) in a batch", field: "/sweep")
        }
        let size = sweep.pointsPerJob ?? Self.defaultPointsPerJob
        let slices = stride(from: 0, to: points, by: size).enumerated().map { i, from in
            var slice = payload
            (slice.from, slice.to) = (from, min(points, from + size))
            return Admitted(index: i, payload: Self.encode(slice), hash: slice.contentHash)
        }
        return (Self.encode(payload), points, slices)
    }

    /// The job's payload: the strategy's text (from `strategy_file` when named).
    func payload(_ s: Submission, limits: TokenLimits) throws -> JobPayload {
        let source: String, file: String
        switch (s.strategy, s.strategyFile) {
        case (let text?, nil): (source, file) = (text, "strategy.strat")
        case (nil, let name?):
            guard let dir = strategies else { throw Problem.notFound("this server has no stored strategies (`strat serve --strategies DIR`); send `strategy` with the source") }
            guard name.range(of: #"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$"#, options: .regularExpression) != nil, !name.contains("..") else {
                throw Problem.invalid("/strategy_file", "/strategy_file must be a file name in the strategies directory, got `\(name)`")
            }
            let path = dir + "/" + (name.hasSuffix(".strat") ? name : name + ".strat")
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw Problem(.notFound, "no-such-strategy", "No such stored strategy", detail: "no stored strategy `\(name)`", field: "/strategy_file")
            }
            (source, file) = (text, URL(fileURLWithPath: path).lastPathComponent)
        default: throw Problem.invalid("/strategy", "give the strategy as `strategy` (source text) or `strategy_file` (a stored one), one of them")
        }
        for (i, d) in s.data.enumerated() {
            switch (d.csv, d.interval) {
            case (_?, nil), (nil, _?): break
            default: throw Problem.invalid("/data/\(i)", "/data/\(i) needs `csv` (CSV text) or `interval` (a stored series), one of them")
            }
            if d.csv != nil, d.market != nil || d.source != nil { throw Problem.invalid("/data/\(i)", "/data/\(i): `market` and `source` belong to a stored series") }
            if d.source != nil, d.market == nil { throw Problem.invalid("/data/\(i)/market", "/data/\(i): a stored series' `source` needs its `market`") }
        }
        return JobPayload(strategy: source, file: file, data: s.data, options: s.options ?? .object([:]), sweep: s.sweep, maxRunSeconds: limits.maxRunSeconds)
    }

    /// The options the API takes: the CLI's but those that read files on the
    /// server (openapi.json lists these, and its schema refuses the rest).
    public static var apiOptionKeys: [String] {
        BacktestOptions.keys.filter { !["holidays", "brackets", "intrabar", "depth", "mark", "funding"].contains($0) }
    }

    /// The run, checked and loaded: what admission checks and a worker runs.
    func prepare(_ p: JobPayload, limits: TokenLimits) throws -> PreparedRun {
        let options = try problem { try BacktestOptions.decode(Self.encode(p.options)) }
        try problem { try options.validate() }
        if p.data.contains(where: { $0.csv == nil }), case .sqlite(let path) = store, !FileManager.default.fileExists(atPath: path) {
            throw Problem(.notFound, "unknown-series", "No such stored series", detail: "no series are stored on this server (its store is empty); send the bars as `csv`", field: "/data")
        }
        let inputs: [DataInput] = p.data.map { d in
            if let csv = d.csv { return .csv(symbol: d.symbol, name: "\(d.symbol).csv", bytes: Data(csv.utf8)) }
            return .stored(symbol: d.symbol, spec: [d.interval, d.market, d.source].compactMap { $0 }.joined(separator: ":"))
        }
        let prepared = try problem { try PreparedRun.prepare(source: SourceFile(name: p.file, text: p.strategy), data: inputs, options: options, store: store) }
        let bars = prepared.series.reduce(0) { $0 + $1.bars.count }
        guard bars <= limits.maxBarsPerJob else {
            throw Problem.tooLarge("too-many-bars", "the data has \(bars) bars; this token may run at most \(limits.maxBarsPerJob) in a job", field: "/data")
        }
        return prepared
    }

    /// A library error as the problem the API answers with.
    func problem<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as RunError {
            switch error {
            case .strategy(let diagnostics, let file):
                var p = Problem.unprocessable("strategy-errors", "The strategy has errors", "the strategy has \(diagnostics.filter { $0.severity == .error }.count) error(s); see `diagnostics`", field: "/strategy")
                p.diagnostics = Self.diagnosticsJSON(diagnostics, file)
                throw p
            case .unknownOptionKey(let key, _): throw Problem.invalid("/options/\(key)", error.description)
            case .invalidOption, .invalidInput: throw Problem.invalid("/options", error.description)
            case .invalidPoint: throw Problem.invalid("/sweep", error.description)
            case .unknownSeries: throw Problem(.notFound, "unknown-series", "No such stored series", detail: error.description, field: "/data")
            case .data: throw Problem.unprocessable("data-error", "The data cannot be read", error.description, field: "/data")
            case .dataQuality: throw Problem.unprocessable("data-quality", "The stored data is below the quality asked for", error.description, field: "/data")
            case .noSuchFile, .store, .run: throw Problem.unprocessable(error.code, "The run cannot start", error.description)
            case .stopped(let why): throw RunStopped(reason: why)
            }
        }
    }

    // MARK: Running

    /// Runs a job; its result's bytes (a backtest: `strat backtest --json`'s;
    /// a batch slice: its points' results, by index).
    func run(_ p: JobPayload, kind: String, control: RunControl) throws -> Data {
        let prepared = try prepare(p, limits: TokenLimits.unlimited)
        if kind == Self.batchSlice, let sweep = p.sweep, let from = p.from, let to = p.to {
            let s = try problem { try prepared.sweep(sweep.spec) }
            guard from >= 0, to <= s.points.count, from < to else { throw ServerError("the slice \(from)..<\(to) is not within the batch's \(s.points.count) points") }
            let columns = ColumnCache()
            var results: [PointResult] = []
            for i in from..<to {
                if let reason = control.stopReason { throw RunStopped(reason: reason) }
                let r = try problem { try prepared.run(s.configs[i], columns: columns, details: false, curve: false) }
                results.append(PointResult(point: s.points[i], result: r, keepEquity: false))
                control.progress = Double(i + 1 - from) / Double(to - from)
            }
            return try Self.pointEncoder.encode(results)
        }
        return try problem { try prepared.resultJSON(try prepared.run(prepared.config, control: control)) }
    }

    /// The batch's report from its slices' results, as `strat batch --out FILE.json` writes it.
    func assemble(request: Data, slices: [Data]) throws -> Data {
        let p = try JSONDecoder().decode(JobPayload.self, from: request)
        let prepared = try prepare(p, limits: TokenLimits.unlimited)
        let sweep = try problem { try prepared.sweep(p.sweep!.spec) }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var results: [PointResult?] = []
        for slice in slices { results += try decoder.decode([PointResult].self, from: slice).map { Optional($0) } }
        // The slices' points are the sweep's, in order: each row keeps the sweep's point.
        for i in results.indices where i < sweep.points.count { results[i]?.point = sweep.points[i] }
        return Data(sweep.reportJSON(results).utf8)
    }

    static let pointEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    // MARK: Check and series

    func check(source: String, file: String) -> Data {
        let f = SourceFile(name: file, text: source)
        let diagnostics = Compiler.compile(f).diagnostics
        let body = "{\"diagnostics\":" + String(decoding: Self.diagnosticsJSON(diagnostics, f), as: UTF8.self)
            + ",\"ok\":\(!diagnostics.contains { $0.severity == .error })}"
        return Data(body.utf8)
    }

    func series() throws -> Data {
        if case .sqlite(let path) = store, !FileManager.default.fileExists(atPath: path) { return Data(#"{"series":[]}"#.utf8) }
        let list: [SeriesSummary]
        do { list = try store.open(readOnly: true).list() } catch let e as StoreError {
            throw Problem.unprocessable("store-error", "The store cannot be read", e.description)
        }
        let rows = list.map { s -> String in
            var fields = ["\"symbol\":\(Problem.quoted(s.key.symbol))", "\"interval\":\(Problem.quoted(s.key.length.description))",
                          "\"market\":\(Problem.quoted(s.key.market))", "\"source\":\(Problem.quoted(s.key.source))", "\"rows\":\(s.rows)",
                          "\"first\":\"\(UTCTime.format(s.first))\"", "\"last\":\"\(UTCTime.format(s.last))\""]
            if let q = s.score { fields.append("\"quality\":\(q)") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return Data(("{\"series\":[" + rows.joined(separator: ",") + "]}").utf8)
    }

    static func diagnosticsJSON(_ diagnostics: [Diagnostic], _ file: SourceFile) -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? e.encode(diagnostics.map { DiagnosticJSON($0, file) })) ?? Data("[]".utf8)
    }

    static func encode<T: Encodable>(_ value: T) -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try! e.encode(value)
    }
}

extension TokenLimits {
    /// A worker re-checks nothing the API admitted against the token's limits.
    static var unlimited: TokenLimits {
        var l = TokenLimits()
        (l.maxBarsPerJob, l.maxPointsPerBatch) = (.max, .max)
        return l
    }
}

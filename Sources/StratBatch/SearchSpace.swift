import Foundation
import StratIR
import StratMarket
import StratRuntime

/// What a batch explores: inputs of the strategy (`--grid`, or `--random`
/// draws from their declared ranges), filtered by `--where`, crossed with
/// engine settings (`--vary`). Every point is checked against the inputs'
/// types and declared ranges before anything runs.
public struct SearchSpace: Sendable {
    /// One axis: a name and its values, as text (what a point shows) and, for
    /// inputs, as the numbers the runtime reads.
    public struct Dimension: Sendable, Equatable {
        public var name: String
        public var values: [String]
        public init(name: String, values: [String]) {
            self.name = name
            self.values = values
        }
    }

    public var inputs: [Dimension] = []
    public var settings: [Dimension] = []
    public init() {}

    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// The most points a batch may have (a grid that multiplies past it is refused).
    public static let maxPoints = 1_000_000

    // MARK: Parsing

    /// `NAME=A...B[:STEP]` or `NAME=v1,v2,…`, for an input of `strategy`.
    public static func inputDimension(_ spec: String, strategy: IRStrategy) throws -> Dimension {
        let (name, text) = try split(spec, option: "--grid")
        guard let input = strategy.inputs.first(where: { $0.name == name }) else {
            let known = strategy.inputs.map(\.name).joined(separator: ", ")
            throw Error("--grid \(spec): `\(name)` is not an input of \(strategy.name)" + (known.isEmpty ? "; it declares none" : "; its inputs are \(known)"))
        }
        let parse = { (t: String) in InputBinding.parse(t, type: input.type) }
        let values: [Double]
        if let range = try rangeValues(text, spec: spec, option: "--grid", defaultStep: input.step ?? (integral(input.type) ? 1 : nil), parse: parse) {
            values = range
        } else {
            values = try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
                let t = part.trimmingCharacters(in: .whitespaces)
                guard let v = parse(t) else { throw Error("--grid \(spec): `\(t)` is not a \(input.type) value") }
                return v
            }
        }
        var seen = Set<Double>()
        let distinct = values.filter { seen.insert($0).inserted }
        for v in distinct { try check(v, input, option: "--grid \(spec)") }
        return Dimension(name: name, values: distinct.map(format))
    }

    /// `NAME=v1,v2,…` or `NAME=A...B[:STEP]` for an engine setting; the values
    /// are checked where they are applied (as the same option of `strat backtest`).
    public static func settingDimension(_ spec: String, allowed: [String]) throws -> Dimension {
        let (name, text) = try split(spec, option: "--vary")
        guard allowed.contains(name) else {
            throw Error("--vary \(spec): `\(name)` is not a setting that can vary; the settings are \(allowed.joined(separator: ", "))")
        }
        if let range = try rangeValues(text, spec: spec, option: "--vary", defaultStep: 1, parse: { Double($0) }) {
            return Dimension(name: name, values: range.map(format))
        }
        var seen = Set<String>()
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if let empty = values.first(where: \.isEmpty) ?? nil { throw Error("--vary \(spec): an empty value `\(empty)`") }
        return Dimension(name: name, values: values.filter { seen.insert($0).inserted })
    }

    static func split(_ spec: String, option: String) throws -> (String, String) {
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
            throw Error("\(option) takes NAME=A...B[:STEP] or NAME=v1,v2,…, got `\(spec)`")
        }
        return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
    }

    /// `A...B[:STEP]` → A, A + STEP, … up to B (inclusive); nil when `text` is a list.
    static func rangeValues(_ text: String, spec: String, option: String, defaultStep: Double?, parse: (String) -> Double?) throws -> [Double]? {
        guard let dots = text.range(of: "...") else { return nil }
        let lowText = String(text[..<dots.lowerBound])
        var rest = String(text[dots.upperBound...]), stepText: String?
        if let colon = rest.firstIndex(of: ":") {
            stepText = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
        }
        guard let low = parse(lowText), let high = parse(rest) else {
            throw Error("\(option) \(spec): expected A...B[:STEP] with A and B values, got `\(text)`")
        }
        guard let step = stepText.map(parse) ?? defaultStep else {
            if stepText != nil { throw Error("\(option) \(spec): the step `\(stepText!)` is not a value") }
            throw Error("\(option) \(spec): give a step, A...B:STEP (the input is not an integer and declares none)")
        }
        guard step > 0, step.isFinite else { throw Error("\(option) \(spec): the step must be positive, got \(format(step))") }
        guard high >= low else { throw Error("\(option) \(spec): the range is empty (\(format(low)) is above \(format(high)))") }
        let count = ((high - low) / step + 1e-9).rounded(.down) + 1
        guard count <= Double(maxPoints) else { throw Error("\(option) \(spec): \(format(count)) values; at most \(maxPoints)") }
        // Each value from its index (no running sum), to 12 significant digits:
        // 0.1...0.3:0.1 gives 0.1, 0.2, 0.3, the numbers `--set` reads from that text.
        return (0..<Int(count)).map { i in Double(String(format: "%.12g", low + Double(i) * step))! }
    }

    static func integral(_ type: String) -> Bool { type == "Int" || type == "Bool" }

    /// A value an input can take: of its type, inside its declared range.
    static func check(_ v: Double, _ input: IRInput, option: String) throws {
        let point = "\(input.name)=\(format(v))"
        guard v.isFinite else { throw Error("\(option): the point \(point) is not a finite number") }
        if integral(input.type), v != v.rounded() { throw Error("\(option): the point \(point) is not a whole number, which input `\(input.name)` (\(input.type)) needs") }
        if input.type == "Bool", v != 0, v != 1 { throw Error("\(option): the point \(point) is not true or false") }
        if input.min.map({ v < $0 }) == true || input.max.map({ v > $0 }) == true {
            let range = "\(input.min.map(format) ?? "")...\(input.max.map(format) ?? "")"
            throw Error("\(option): the point \(point) is outside the declared range \(range) of input `\(input.name)`")
        }
    }

    /// The shortest text that reads back as `v` (integers without a fraction).
    public static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
    }

    // MARK: Points

    /// The points in order: the inputs' cartesian product (first dimension
    /// slowest), those `keep` accepts, each crossed with every combination of
    /// settings.
    public func points(where keep: (Point) throws -> Bool = { _ in true }) throws -> [Point] {
        let inputPoints = try Self.product(inputs).map { Point(inputs: $0) }.filter(keep)
        return try cross(inputPoints)
    }

    /// `n` distinct input points drawn with `seed`: a dimension of `inputs`
    /// draws one of its values; without any, every input of `strategy` with a
    /// declared range draws from it (integers uniformly, others uniformly to 12
    /// digits). Draws `keep` refuses are drawn again (up to 100 × n tries).
    public func random(_ n: Int, seed: UInt64, strategy: IRStrategy, where keep: (Point) throws -> Bool = { _ in true }) throws -> [Point] {
        var g = SplitMix64(seed: seed)
        typealias Draw = (String, (inout SplitMix64) -> String)
        var draws: [Draw] = inputs.map { d in (d.name, { g in d.values[Int(g.next() % UInt64(d.values.count))] }) }
        if draws.isEmpty {
            for input in strategy.inputs {
                guard let lo = input.min, let hi = input.max, hi >= lo else { continue }
                if let step = input.step ?? (Self.integral(input.type) ? 1 : nil) {
                    let count = UInt64(((hi - lo) / step + 1e-9).rounded(.down)) + 1
                    draws.append((input.name, { g in Self.format(Double(String(format: "%.12g", lo + Double(g.next() % count) * step))!) }))
                } else {
                    draws.append((input.name, { g in Self.format(Double(String(format: "%.12g", lo + g.unit() * (hi - lo)))!) }))
                }
            }
        }
        guard !draws.isEmpty else {
            throw Error("--random: nothing to draw: no --grid given and \(strategy.name) declares no input with a range (`input fast = 10 in 5...50`)")
        }
        var seen = Set<Point>(), out: [Point] = []
        var tries = 0
        while out.count < n, tries < 100 * n {
            tries += 1
            let p = Point(inputs: draws.map { name, draw in Point.Assignment(name, draw(&g)) })
            if seen.insert(p).inserted, try keep(p) { out.append(p) }
        }
        return try cross(out)
    }

    func cross(_ inputPoints: [Point]) throws -> [Point] {
        let settingPoints = Self.product(settings)
        let total = inputPoints.count * max(1, settingPoints.count)
        guard total <= Self.maxPoints else { throw Error("the batch has \(total) points; at most \(Self.maxPoints)") }
        return inputPoints.flatMap { p in settingPoints.map { Point(inputs: p.inputs, settings: $0) } }
    }

    /// Every combination of one value per dimension, the first dimension slowest.
    static func product(_ dims: [Dimension]) -> [[Point.Assignment]] {
        dims.reduce([[]]) { acc, d in acc.flatMap { prefix in d.values.map { prefix + [Point.Assignment(d.name, $0)] } } }
    }
}

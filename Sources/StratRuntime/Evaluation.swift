import StratIR
import StratMarket
import StratSema

/// An expression evaluated over a bar series: one row per bar, warm-up included.
public struct EvaluatedSeries: Sendable {
    /// `value`, or the output names of a multi-output call (`macd`, `signal`, `hist`).
    public var columns: [String]
    /// The dimension of the values ("Price", "Bool", …).
    public var dimension: String
    public var times: [Int64]
    /// values[column][row]; NaN is na.
    public var values: [[Double]]
}

public enum Evaluation {
    /// Runs the `let` named `name` of a single-symbol strategy (for `strat eval`,
    /// the compiled expression's `value`) over `series`, bar by bar.
    public static func run(_ strategy: IRStrategy, letNamed name: String = "value", series: BarSeries,
                           overrides: [String: Double] = [:]) throws -> EvaluatedSeries {
        guard let named = strategy.lets.first(where: { $0.name == name }) else {
            throw RuntimeError("no value named `\(name)`")
        }
        let node = strategy.nodes[named.node]
        var columns = ["value"]
        if node.type.dim == "Tuple", node.op == .call, let b = node.name.flatMap({ Builtin.all[$0] }) {
            columns = b.outputNames
        }
        let interval = series.interval ?? (strategy.timeframe.map { $0 * 1000 } ?? 86_400_000)
        let rt = try Runtime(strategy: strategy, overrides: overrides, symbols: [series.symbol], baseInterval: interval)
        var values = columns.map { _ in [Double]() }
        for c in values.indices { values[c].reserveCapacity(series.bars.count) }
        for bar in series.bars {
            rt.step(bar)
            if columns.count == 1 {
                values[0].append(rt.value(node: named.node))
            } else {
                for (c, v) in rt.outputs(node: named.node, count: columns.count).enumerated() { values[c].append(v) }
            }
        }
        return EvaluatedSeries(columns: columns, dimension: node.type.dim, times: series.bars.map(\.time), values: values)
    }

    /// A value as text that reads back to the same double: empty for na,
    /// `true`/`false` for Bool, whole numbers for Int, ISO-8601 for times.
    public static func format(_ v: Double, dimension: String) -> String {
        if v.isNaN { return "" }
        switch dimension {
        case "Bool": return v != 0 ? "true" : "false"
        case "Int" where v == v.rounded() && abs(v) < 1e15: return String(Int64(v))
        case "Time" where v == v.rounded() && abs(v) < 1e13: return UTCTime.format(Int64(v) * 1000)
        default: return v.description
        }
    }
}

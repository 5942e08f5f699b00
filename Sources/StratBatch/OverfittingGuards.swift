import Foundation

/// The guards a sweep prints: the PBO over every finished point's daily
/// returns and the deflated Sharpe ratio of the best point, or why not.
public struct OverfittingGuards: Sendable {
    public var pbo: Result<Overfitting.PBO, Overfitting.Error>
    public var dsr: Result<Overfitting.DSR, Overfitting.Error>
    public var trials: Int

    /// `rows`: best first (the DSR is the first row's).
    public init(_ rows: [PointResult], blocks: Int) {
        trials = rows.count
        let returns = rows.map(\.returns)
        pbo = Result { try Overfitting.pbo(returns, blocks: blocks) }.mapError { $0 as! Overfitting.Error }
        let sharpes = returns.map(Overfitting.sharpeRatio)
        dsr = Result {
            guard let best = returns.first else { throw Overfitting.Error.tooFewTrials(0) }
            return try Overfitting.deflatedSharpe(returns: best, trials: rows.count, sharpeVariance: rows.count > 1 ? Overfitting.sampleVariance(sharpes) : 0)
        }.mapError { $0 as! Overfitting.Error }
    }

    /// One line for the summary.
    public var line: String {
        var parts: [String] = []
        switch pbo {
        case .success(let p):
            parts.append(String(format: "PBO %.3f over %d splits of %d blocks (out of sample the chosen point lost in %.0f%%)",
                                p.probability, p.splits, p.blocks, p.probabilityOfLoss * 100))
        case .failure(let e): parts.append("no PBO: \(e)")
        }
        switch dsr {
        case .success(let d):
            parts.append(String(format: "deflated Sharpe %.3f for the best of %d trial%@ over %d days", d.probability, d.trials, d.trials == 1 ? "" : "s", d.periods))
        case .failure(let e): parts.append("no deflated Sharpe: \(e)")
        }
        return "Overfitting         " + parts.joined(separator: "; ")
    }

    /// `pbo` and `dsr` members for the batch's JSON (null with a `why` when not computed).
    public var json: [(String, String)] {
        let num = BatchReport.jsonNumber
        func why(_ e: Overfitting.Error) -> String { "{\"why\": \(BatchReport.jsonString("\(e)"))}" }
        let p: String
        switch pbo {
        case .success(let x):
            p = "{\"probability\": \(num(x.probability)), \"splits\": \(x.splits), \"blocks\": \(x.blocks), \"periods\": \(x.periods), "
                + "\"probability_of_loss\": \(num(x.probabilityOfLoss)), \"logits\": [" + x.logits.map(num).joined(separator: ", ") + "]}"
        case .failure(let e): p = why(e)
        }
        let d: String
        switch dsr {
        case .success(let x):
            d = "{\"probability\": \(num(x.probability)), \"sharpe\": \(num(x.sharpe)), \"expected_max_sharpe\": \(num(x.expectedMaxSharpe)), "
                + "\"skewness\": \(num(x.skewness)), \"kurtosis\": \(num(x.kurtosis)), \"periods\": \(x.periods), \"trials\": \(x.trials)}"
        case .failure(let e): d = why(e)
        }
        return [("pbo", p), ("dsr", d)]
    }
}

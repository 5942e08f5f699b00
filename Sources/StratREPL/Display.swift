import Foundation
import StratMarket

/// How the REPL shows values: enough digits that a price keeps its cents,
/// sparklines of recent values, and SVG charts.
enum Display {
    /// A value for people: Bool as true/false, Int whole, times in ISO-8601, other
    /// numbers with at least two decimals (cents) and six significant digits.
    static func value(_ v: Double, _ dim: String) -> String {
        if v.isNaN { return "na" }
        switch dim {
        case "Bool": return v != 0 ? "true" : "false"
        case "Int" where v == v.rounded() && abs(v) < 1e15: return String(Int64(v))
        case "Time" where v == v.rounded(): return UTCTime.format(Int64(v) * 1000)
        case "Ratio": return String(format: "%.4f%%", v * 100)
        default:
            let a = abs(v)
            let decimals = a >= 1000 ? 2 : a >= 1 ? 4 : a == 0 ? 2 : min(10, max(2, 5 - Int(log10(a).rounded(.down))))
            return String(format: "%.\(decimals)f", v)
        }
    }

    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One character per value, scaled between the smallest and largest shown; na is a space.
    static func sparkline(_ values: ArraySlice<Double>) -> String {
        let defined = values.filter { !$0.isNaN }
        guard let lo = defined.min(), let hi = defined.max() else { return String(repeating: " ", count: values.count) }
        return String(values.map { v -> Character in
            if v.isNaN { return " " }
            if hi == lo { return blocks[3] }
            return blocks[min(7, Int((v - lo) / (hi - lo) * 8))]
        })
    }

    /// An SVG line chart of `values` (with the close on its own scale, in grey)
    /// over `times`. A series that is na at a bar is broken there.
    static func svg(title: String, times: [Int64], values: [Double], close: [Double]) -> String {
        let width = 960.0, height = 420.0, pad = 48.0
        func path(_ ys: [Double]) -> String {
            let defined = ys.filter { !$0.isNaN }
            guard let lo = defined.min(), let hi = defined.max(), ys.count > 1 else { return "" }
            let span = hi > lo ? hi - lo : 1
            var d = "", pen = false
            for (i, y) in ys.enumerated() {
                guard !y.isNaN else { pen = false; continue }
                let x = pad + Double(i) / Double(ys.count - 1) * (width - 2 * pad)
                let py = height - pad - (y - lo) / span * (height - 2 * pad)
                d += String(format: "%@%.1f %.1f ", pen ? "L" : "M", x, py)
                pen = true
            }
            return d
        }
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let first = times.first.map(UTCTime.format) ?? "", last = times.last.map(UTCTime.format) ?? ""
        let defined = values.filter { !$0.isNaN }
        let range = defined.isEmpty ? "all na" : "\(value(defined.min()!, "")) … \(value(defined.max()!, ""))"
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(pad))" y="28" font-family="sans-serif" font-size="16">\(escape(title))</text>
            <text x="\(Int(pad))" y="\(Int(height) - 16)" font-family="sans-serif" font-size="11" fill="#555">\(first) … \(last); \(escape(title)): \(range)</text>
            <path d="\(path(close))" fill="none" stroke="#bbbbbb" stroke-width="1"><title>close</title></path>
            <path d="\(path(values))" fill="none" stroke="#1f6feb" stroke-width="1.5"><title>\(escape(title))</title></path>
            </svg>

            """
    }
}

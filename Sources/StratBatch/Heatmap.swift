import Foundation

/// `--heatmap FILE.svg`: the objective over two inputs, each cell the best
/// value among the points with that pair (the other inputs and settings at
/// their best). Cells without a finished point, or without a value, are grey.
/// Deterministic: the same rows give the same bytes.
public struct Heatmap: Sendable {
    public var x: String
    public var y: String
    public var xValues: [String]
    public var yValues: [String]
    /// cells[row][column]: y index, x index.
    public var cells: [[Double?]]
    public var objective: Objective

    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// `x` and `y` must be inputs the batch varied; their values in grid order.
    public init(_ rows: [PointResult], x: String, y: String, xValues: [String], yValues: [String], objective: Objective) {
        self.x = x
        self.y = y
        self.xValues = xValues
        self.yValues = yValues
        self.objective = objective
        var cells = [[Double?]](repeating: [Double?](repeating: nil, count: xValues.count), count: yValues.count)
        for r in rows {
            guard let xv = r.point.inputs.first(where: { $0.name == x })?.value, let yv = r.point.inputs.first(where: { $0.name == y })?.value,
                  let i = xValues.firstIndex(of: xv), let j = yValues.firstIndex(of: yv),
                  let v = objective.value(r), v.isFinite else { continue }
            if cells[j][i].map({ v > $0 }) ?? true { cells[j][i] = v }
        }
        self.cells = cells
    }

    /// Cells already reduced (`strat report` reads them from a batch's JSON).
    public init(x: String, y: String, xValues: [String], yValues: [String], cells: [[Double?]], objective: Objective) {
        self.x = x
        self.y = y
        self.xValues = xValues
        self.yValues = yValues
        self.cells = cells
        self.objective = objective
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Low values red, the middle pale, high values blue.
    static func color(_ t: Double) -> String {
        let lo = (215.0, 48.0, 39.0), mid = (247.0, 247.0, 247.0), hi = (33.0, 102.0, 172.0)
        let (a, b, u) = t < 0.5 ? (lo, mid, t * 2) : (mid, hi, (t - 0.5) * 2)
        func c(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * u).rounded()) }
        return String(format: "#%02x%02x%02x", c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
    }

    public func svg(title: String) -> String {
        let cell = max(14, min(48, 720 / max(xValues.count, yValues.count, 1)))
        let left = 90, top = 50, bottom = 70
        let w = left + cell * xValues.count + 150, h = top + cell * yValues.count + bottom
        let values = cells.flatMap { $0.compactMap { $0 } }
        let lo = values.min() ?? 0, hi = values.max() ?? 0
        func t(_ v: Double) -> Double { hi > lo ? (v - lo) / (hi - lo) : 0.5 }
        func n(_ v: Double) -> String { String(format: abs(v) >= 100 ? "%.0f" : "%.3g", v) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
        s += "<text x=\"\(left)\" y=\"24\" font-size=\"14\">\(Self.esc(title)): \(objective.rawValue) by \(Self.esc(x)) and \(Self.esc(y))</text>\n"
        // Rows from the top: the largest y value first, as on a chart.
        for (row, j) in yValues.indices.reversed().enumerated() {
            let cy = top + row * cell
            s += "<text x=\"\(left - 6)\" y=\"\(cy + cell / 2 + 4)\" text-anchor=\"end\">\(Self.esc(yValues[j]))</text>\n"
            for i in xValues.indices {
                let cx = left + i * cell
                let fill = cells[j][i].map { Self.color(t($0)) } ?? "#bdbdbd"
                let label = "\(x)=\(xValues[i]) \(y)=\(yValues[j]): " + (cells[j][i].map(n) ?? "no value")
                s += "<rect x=\"\(cx)\" y=\"\(cy)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(fill)\" stroke=\"#ffffff\"><title>\(Self.esc(label))</title></rect>\n"
                if cell >= 30, let v = cells[j][i] {
                    s += "<text x=\"\(cx + cell / 2)\" y=\"\(cy + cell / 2 + 4)\" text-anchor=\"middle\" font-size=\"9\">\(n(v))</text>\n"
                }
            }
        }
        let axisY = top + cell * yValues.count
        for i in xValues.indices where xValues.count <= 30 || i % ((xValues.count + 29) / 30) == 0 {
            s += "<text x=\"\(left + i * cell + cell / 2)\" y=\"\(axisY + 16)\" text-anchor=\"middle\">\(Self.esc(xValues[i]))</text>\n"
        }
        s += "<text x=\"\(left + cell * xValues.count / 2)\" y=\"\(axisY + 40)\" text-anchor=\"middle\" font-size=\"13\">\(Self.esc(x))</text>\n"
        s += "<text x=\"20\" y=\"\(top + cell * yValues.count / 2)\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 20 \(top + cell * yValues.count / 2))\">\(Self.esc(y))</text>\n"
        // The scale.
        let lx = left + cell * xValues.count + 30
        for k in 0..<10 {
            s += "<rect x=\"\(lx)\" y=\"\(top + k * 16)\" width=\"20\" height=\"16\" fill=\"\(Self.color(1 - Double(k) / 9))\"/>\n"
        }
        s += "<text x=\"\(lx + 26)\" y=\"\(top + 11)\">\(values.isEmpty ? "—" : n(hi))</text>\n"
        s += "<text x=\"\(lx + 26)\" y=\"\(top + 155)\">\(values.isEmpty ? "—" : n(lo))</text>\n"
        s += "<text x=\"\(lx)\" y=\"\(top + 180)\">\(objective.rawValue)</text>\n"
        s += "</svg>\n"
        return s
    }
}

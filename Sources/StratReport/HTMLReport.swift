import StratBacktest

/// The self-contained HTML report of a backtest: inline CSS and SVG, no
/// script and no network (hover text comes from SVG `<title>`s), the same
/// bytes for the same result, laid out to print.
///
///     let doc = try ReportDocument(json: data)          // `strat report RESULT.json`
///     let doc = try ReportDocument(result, provenance)   // `strat backtest --html`
///     try HTMLReport.render(doc).write(toFile: "report.html", atomically: true, encoding: .utf8)
public enum HTMLReport {
    public static func render(_ doc: ReportDocument) -> String {
        let c = Context(doc)
        var s = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        s += "<meta name=\"generator\" content=\"strat \(escape(doc.provenance.engineVersion))\">\n"
        s += "<title>\(escape(doc.strategy)) on \(escape(doc.symbols.joined(separator: ", "))) — strat report</title>\n"
        s += "<style>\n\(css)</style>\n</head>\n<body>\n<main>\n"
        s += c.headline()
        s += c.equitySection()
        s += c.priceSections()
        s += c.exposureSection()
        s += c.tradeTable()
        s += c.returnsSection()
        s += c.riskSection()
        s += c.sourceListing()
        s += c.provenance()
        s += "</main>\n</body>\n</html>\n"
        return s
    }

    static let css = """
        body { font: 14px/1.4 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d2330; background: #fff; margin: 0; }
        main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
        h1 { font-size: 22px; margin: 8px 0 2px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d8dce4; padding-bottom: 4px; }
        h3 { font-size: 14px; margin: 16px 0 6px; } .dim { color: #6b7385; font-weight: normal; }
        .period, .legend, .note { color: #555d6e; font-size: 12px; margin: 4px 0; } .warning { color: #8a5300; font-size: 12px; margin: 2px 0; }
        .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 6px; margin-top: 10px; }
        .figure { border: 1px solid #e1e4ea; border-radius: 4px; padding: 6px 8px; } .figure .label { display: block; color: #6b7385; font-size: 11px; }
        .figure .value { font-size: 17px; font-variant-numeric: tabular-nums; }
        svg.chart { width: 100%; height: auto; display: block; } .frame { fill: none; stroke: #c9ced8; } .grid { stroke: #eef0f4; }
        .axis { font-size: 10px; fill: #6b7385; }
        path.equity { fill: none; stroke: #1f5fbf; stroke-width: 1.5; } path.hwm { fill: none; stroke: #7d8799; stroke-dasharray: 4 3; }
        path.hold { fill: none; stroke: #c98a1b; stroke-width: 1; } path.underwater { fill: #e3a1a1; stroke: #b33a3a; stroke-width: 0.8; }
        .dd-mark { fill: #b33a3a; fill-opacity: 0.07; } .dd-label { font-size: 11px; fill: #8b1f1f; font-weight: bold; }
        .candle line { stroke: #5b6373; } .candle.up rect { fill: #fff; stroke: #1a8c46; } .candle.down rect { fill: #c62828; stroke: #c62828; }
        path.range { fill: #d5dae3; stroke: none; } path.close, path.series { fill: none; stroke: #2d3444; stroke-width: 1; }
        path.overlay { fill: none; stroke-width: 1.3; } .o0 { stroke: #1f5fbf; } .o1 { stroke: #c98a1b; } .o2 { stroke: #7b3fb3; }
        .o3 { stroke: #138a8a; } .o4 { stroke: #b8336a; } .o5 { stroke: #6b8e23; }
        .fill-marker, .fill-markers { stroke: #fff; stroke-width: 0.6; } .entry { fill: #1a8c46; } .entry.short { fill: #7b3fb3; }
        .exit { fill: #2d3444; } .stop { fill: #c62828; } .take { fill: #138a8a; } .trail { fill: #e07b00; }
        .expiry { fill: #8d6e63; } .risk { fill: #b8336a; } .liquidation { fill: #000; } .other { fill: #9aa2b1; }
        .key { display: inline-block; width: 14px; height: 0; border-top: 2px solid; vertical-align: middle; margin: 0 4px 0 10px; }
        .key.equity { border-color: #1f5fbf; } .key.hwm { border-top: 2px dashed #7d8799; } .key.hold { border-color: #c98a1b; }
        .key.o0 { border-color: #1f5fbf; } .key.o1 { border-color: #c98a1b; } .key.o2 { border-color: #7b3fb3; } .key.o3 { border-color: #138a8a; }
        .key.o4 { border-color: #b8336a; } .key.o5 { border-color: #6b8e23; }
        table { border-collapse: collapse; font-size: 12px; } table.data td, table.data th { padding: 2px 6px; border-bottom: 1px solid #eceef2; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; } tr.win td:nth-child(9) { color: #1a7a3e; } tr.loss td:nth-child(9) { color: #b02525; }
        tr.gap td { color: #6b7385; font-style: italic; } table.trades { width: 100%; } code { font: 11px ui-monospace, Menlo, Consolas, monospace; }
        a.rule { color: #1f5fbf; text-decoration: none; white-space: nowrap; }
        table.heatmap td, table.heatmap th { padding: 3px 6px; text-align: right; font-variant-numeric: tabular-nums; min-width: 34px; }
        table.heatmap td.year { font-weight: bold; } rect.bin.win { fill: #1a8c46; } rect.bin.loss { fill: #c62828; } line.zero { stroke: #2d3444; }
        table.kv th { text-align: left; padding: 2px 12px 2px 0; color: #555d6e; font-weight: normal; vertical-align: top; }
        table.kv td { word-break: break-all; } table.source td { padding: 1px 8px; }
        @media print {
          body { font-size: 11px; } main { max-width: none; padding: 0; }
          section, svg.chart, table.heatmap, tr { break-inside: avoid; } h2 { break-after: avoid; }
          table.heatmap td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          a.rule { color: inherit; }
        }

        """
}

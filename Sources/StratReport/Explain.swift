import Foundation
import StratBacktest

/// `strat explain N`: why trade N (from 1) happened, in words and values: the
/// rule and its line, its condition's operands on the signal bar, the sizing
/// and the quantity, the risk engine's decisions, the orders' lifecycles, the
/// fills, and what closed it.
///
///     print(try Explain.text(doc, trade: 3))
public enum Explain {
    public static func text(_ doc: ReportDocument, trade number: Int) throws -> String {
        guard (1...max(1, doc.trades.count)).contains(number), !doc.trades.isEmpty else {
            throw ReportError(doc.trades.isEmpty ? "the result has no trades to explain"
                              : "there is no trade \(number): the result has trades 1 to \(doc.trades.count)")
        }
        let c = Context(doc)
        let t = doc.trades[number - 1]
        let file = doc.provenance.strategyFile
        let num = ExplainNumber.format
        var s = "Trade \(number) of \(doc.trades.count): \(t.side) \(num(t.qty)) \(t.symbol)\n"
        s += "  opened \(t.entryTime) at \(num(t.entryPrice))"
        if let exit = t.exitTime {
            s += ", closed \(exit) at \(num(t.exitPrice ?? .nan)) (\(t.exitReason ?? "—"))\n"
            s += "  PnL \(Format.money(t.pnl)) (\(Format.pct(t.return))), fees \(Format.money(t.fees))"
        } else {
            s += ", still open at the end\n  fees \(Format.money(t.fees))"
        }
        if let f = t.funding, f != 0 { s += ", funding \(Format.money(f))" }
        if let i = t.interest, i != 0 { s += ", interest \(Format.money(i))" }
        s += ", \(t.barsHeld) bar\(t.barsHeld == 1 ? "" : "s") held; MAE \(Format.pct(t.mae)), MFE \(Format.pct(t.mfe))\n"

        func line(_ k: Int?) -> String {
            guard let k else { return "(no source line)" }
            return "\(file):\(k): \(doc.sourceLines?[String(k)] ?? "")"
        }
        func signal(of order: Int?) -> ReportDocument.SignalRow? {
            order.flatMap { o in doc.signals?.first { $0.orders.contains(o) } }
        }
        func describe(_ o: ReportDocument.OrderRow) -> String {
            var d = "#\(o.id) \(o.action ?? o.type): \(o.type.replacingOccurrences(of: "_", with: " ")) \(o.side) \(o.qty.map(num) ?? "all in")"
            if let p = o.limitPrice { d += " limit \(num(p))" }
            if let p = o.stopPrice { d += " stop \(num(p))" }
            if let tr = o.trail { d += " trail \(o.trailKind == "percent" ? Format.pct(tr) : num(tr))" }
            if o.timeInForce != "gtc" { d += " \(o.timeInForce)" + (o.expireAt.map { " until \($0)" } ?? "") }
            if let p = o.parent { d += ", bracket of #\(p)" }
            if o.filledQty > 0 { d += "; filled \(num(o.filledQty))" + (o.averageFillPrice.map { " at \(num($0))" } ?? "") }
            return d
        }
        func lifecycle(_ o: ReportDocument.OrderRow, indent: String) -> String {
            var d = "\(indent)\(describe(o))\n"
            for h in o.history { d += "\(indent)  \(h.time) \(h.state.replacingOccurrences(of: "_", with: " "))\(h.reason.map { ": \($0)" } ?? "")\n" }
            for f in doc.fills where f.order == o.id {
                d += "\(indent)  fill \(f.time) \(f.side) \(num(f.qty)) at \(num(f.price)), fee \(num(f.fee)) (\(f.liquidity))\(f.liquidation == true ? ", liquidation" : "")\n"
            }
            return d
        }
        func why(_ sig: ReportDocument.SignalRow, action: Int?) -> String {
            var d = "  signal bar \(sig.barTime), the rule acted at its close \(sig.time):\n"
            for clause in sig.clauses { d += "    \(clause)\n" }
            if let action, action != sig.line { d += "  action \(line(action))\n" }
            return d
        }

        // Why it opened.
        let entry = t.entryOrder.flatMap { c.orders[$0] }
        let opening = signal(of: t.entryOrder)
        s += "\nOpened by \(line(opening?.line ?? t.entryLine))\n"
        if let sig = opening { s += why(sig, action: t.entryLine) } else if t.entryLine != nil {
            s += "  (no signal recorded: the order was re-sized in place by a later signal, or the JSON predates signals)\n"
        }
        if let entry {
            if let q = entry.qty, q > 0 {
                s += "  size: \(num(q)) (from the action's sizing)" + (entry.filledQty != q ? "; filled \(num(entry.filledQty))\n" : "\n")
            } else {
                s += "  size: all in, sized from the cash at the fill: \(num(entry.filledQty))\n"
            }
        }
        let entryTime = signal(of: t.entryOrder)?.time
        let decisions = (doc.riskEvents ?? []).filter { e in e.symbol == t.symbol && (e.line == t.entryLine && e.time == entryTime || e.decision == "cut" && e.time == t.entryTime) }
        if doc.riskEvents == nil { s += "  risk: no risk block\n" } else if decisions.isEmpty { s += "  risk: no decision recorded for this entry\n" }
        for e in decisions {
            s += "  risk: \(e.decision)" + (e.limit.map { " (\($0))" } ?? "")
            if let r = e.requested, let a = e.approved { s += ", requested \(num(r)), approved \(num(a))" }
            s += ": \(e.reason)\n"
        }
        if let l = t.riskLimit { s += "  the size was cut by the risk limit \(l)\n" }

        s += "\nOrders\n"
        var shown = Set<Int>()
        if let entry {
            s += lifecycle(entry, indent: "  ")
            shown.insert(entry.id)
            for child in doc.orders where child.parent == entry.id {
                s += lifecycle(child, indent: "  ")
                shown.insert(child.id)
            }
        }

        // What closed it.
        guard t.exitTime != nil, let exitID = t.exitOrder, let exit = c.orders[exitID] else {
            return s + (t.exitTime == nil ? "\nStill open at the end of the data.\n" : "")
        }
        let reason = t.exitReason ?? "signal"
        s += "\nClosed by \(reason)"
        if let p = exit.parent {
            // A stop, take or trail sent with the entry: its trigger, not a signal, closed the trade.
            s += ": order #\(exit.id), sent with #\(p) by \(line(exit.line))\n"
        } else if let sig = signal(of: exitID) {
            s += ": \(line(sig.line))\n" + why(sig, action: t.exitLine)
        } else {
            s += exit.line.map { ": \(line($0))\n" } ?? "\n"
        }
        if !shown.contains(exit.id) { s += lifecycle(exit, indent: "  ") }
        else { s += "  order #\(exit.id) above\n" }
        return s
    }
}

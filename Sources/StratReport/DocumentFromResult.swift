import StratBacktest
import StratEngine
import StratMarket

// The rows of a `ReportDocument` made from a result in process, each as
// `Report`'s JSON writes and `JSONDecoder` would read it back: times as their
// text, numbers that are not finite as nil, fields written only when set as nil.

func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }

extension ReportDocument.TradeRow {
    init(_ t: Trade) {
        self.init(symbol: t.symbol, side: t.side, qty: t.qty, entryTime: UTCTime.format(t.entryTime), entryPrice: t.entryPrice,
                  exitTime: t.exitTime.map(UTCTime.format), exitPrice: finite(t.exitPrice), pnl: finite(t.pnl), return: finite(t.returnPct),
                  fees: t.fees, barsHeld: t.barsHeld, entryLine: t.entryLine, exitLine: t.exitLine, riskLimit: t.riskLimit,
                  funding: t.funding != 0 ? finite(t.funding) : nil, interest: t.interest != 0 ? finite(t.interest) : nil,
                  exitReason: t.exitReason, entryOrder: t.entryOrder, exitOrder: t.exitOrder, mae: finite(t.mae), mfe: finite(t.mfe))
    }
}

extension ReportDocument.OrderRow {
    init(_ o: Order) {
        var trail: Double?, kind: String?
        switch o.trail {
        case .absolute(let d)?: trail = finite(d); kind = "price"
        case .percent(let p)?: trail = finite(p); kind = "percent"
        case nil: break
        }
        self.init(id: o.id, symbol: o.symbol, side: o.side.rawValue, type: o.type.rawValue, qty: finite(o.quantity),
                  limitPrice: finite(o.limitPrice), stopPrice: finite(o.stopPrice), trail: trail, trailKind: kind,
                  timeInForce: o.timeInForce.rawValue, expireAt: o.expireAt.map(UTCTime.format), reduceOnly: o.reduceOnly,
                  parent: o.parent, ocoGroup: o.ocoGroup, state: o.state.rawValue, filledQty: o.filledQuantity,
                  averageFillPrice: o.filledQuantity > 0 ? finite(o.averageFillPrice) : nil, line: o.tag.line, action: o.tag.action,
                  history: o.history.map { ReportDocument.HistoryRow(time: UTCTime.format($0.time), state: $0.state.rawValue, reason: $0.reason) })
    }
}

extension ReportDocument.FillRow {
    init(_ f: Fill) {
        self.init(order: f.order, symbol: f.symbol, side: f.side.rawValue, qty: f.quantity, price: f.price, fee: f.fee,
                  time: UTCTime.format(f.time), liquidity: f.liquidity.rawValue, liquidation: f.liquidation ? true : nil)
    }
}

extension ReportDocument.SignalRow {
    init(_ s: Signal, clauses: [String]) {
        self.init(time: UTCTime.format(s.time), barTime: UTCTime.format(s.barTime), symbol: s.symbol, rule: s.rule, line: s.line,
                  orders: s.orders, clauses: clauses)
    }
}

extension ReportDocument.ChartRow {
    init(_ c: ChartData) {
        self.init(columns: ChartData.columns,
                  prices: c.prices.map { p in
                      ReportDocument.PriceRow(symbol: p.symbol, aggregated: p.aggregated, bars: p.points.map {
                          ReportDocument.BarRow(time: $0.time, open: $0.open, high: $0.high, low: $0.low, close: $0.close)
                      })
                  },
                  series: c.series.map { x in
                      ReportDocument.SeriesRow(name: x.name, symbol: x.symbol, dimension: x.dimension, points: x.points.map {
                          ReportDocument.PointRow(time: $0.time, low: $0.low, high: $0.high, last: $0.last)
                      })
                  })
    }
}

import Foundation
import StratMarket

/// Scalar semantics shared by the per-bar loop and the values computed before
/// the run. na is NaN. Comparisons and logic follow Kleene's three-valued logic:
/// a comparison with na is na, `not na` is na, `false and na` is false,
/// `true or na` is true; a condition that is na does not fire. Division by
/// zero is na.
enum Evaluate {
    @inline(__always) static func bool(_ b: Bool) -> Double { b ? 1 : 0 }

    @inline(__always)
    static func scalar(_ op: OpCode, _ a: Double, _ b: Double, _ c: Double) -> Double {
        switch op {
        case .neg: return -a
        case .not: return a.isNaN ? .nan : (a == 0 ? 1 : 0)
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return b == 0 ? .nan : a / b
        case .eq: return a.isNaN || b.isNaN ? .nan : bool(a == b)
        case .ne: return a.isNaN || b.isNaN ? .nan : bool(a != b)
        case .lt: return a.isNaN || b.isNaN ? .nan : bool(a < b)
        case .le: return a.isNaN || b.isNaN ? .nan : bool(a <= b)
        case .gt: return a.isNaN || b.isNaN ? .nan : bool(a > b)
        case .ge: return a.isNaN || b.isNaN ? .nan : bool(a >= b)
        case .and: return a == 0 || b == 0 ? 0 : (a.isNaN || b.isNaN ? .nan : 1)
        case .or: return a == 1 || b == 1 ? 1 : (a.isNaN || b.isNaN ? .nan : 0)
        case .select: return a.isNaN ? .nan : (a != 0 ? b : c)
        default: return math(op, a, b, c)
        }
    }

    static func math(_ op: OpCode, _ a: Double, _ b: Double, _ c: Double) -> Double {
        switch op {
        case .abs: return Swift.abs(a)
        case .min: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        case .max: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .clamp: return a.isNaN || b.isNaN || c.isNaN ? .nan : Swift.min(Swift.max(a, b), c)
        case .round: return a.rounded(.toNearestOrAwayFromZero)
        case .floor: return a.rounded(.down)
        case .ceil: return a.rounded(.up)
        case .sign: return a.isNaN ? .nan : (a > 0 ? 1 : (a < 0 ? -1 : 0))
        case .sqrt: return a < 0 ? .nan : a.squareRoot()
        case .log: return a <= 0 ? .nan : Foundation.log(a)
        case .exp: return Foundation.exp(a)
        case .pow: let v = Foundation.pow(a, b); return v.isFinite ? v : .nan
        case .nz: return a.isNaN ? b : a
        case .isna: return bool(a.isNaN)
        default: return .nan
        }
    }

    /// A calendar field of a Time (seconds since the epoch, UTC); na for na and
    /// for times no calendar reaches (|t| ≥ 1e15 s, some 30 million years).
    static func calendar(_ op: OpCode, _ t: Double) -> Double {
        guard t.magnitude < 1e15 else { return .nan }
        let field: CalendarField = switch op {
        case .hour: .hour
        case .minute: .minute
        case .dayofweek: .dayOfWeek
        case .dayofmonth: .dayOfMonth
        case .month: .month
        default: .year
        }
        // Times are whole milliseconds; `time` holds them divided by 1000.
        return Double(UTCTime.calendar(field, Int64((t * 1000).rounded())))
    }
}

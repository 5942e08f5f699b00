/// Operator precedence, lowest first. This table is the single source of truth;
/// Grammar/Operators.md prints the same table for humans.
public enum Precedence: Int, Comparable, Sendable {
    case none
    case conditional      // if c then a else b     (prefix, right-associative)
    case or               // or                      left
    case and              // and                     left
    case not              // not                     prefix
    case comparison       // == != < <= > >=         non-associative
    case additive         // + -                     left
    case multiplicative   // * /                     left
    case unary            // -                       prefix
    case postfix          // f(…)  x[n]  x.name  x@4h

    public static func < (a: Precedence, b: Precedence) -> Bool { a.rawValue < b.rawValue }
    public var next: Precedence { Precedence(rawValue: rawValue + 1) ?? .postfix }
}

public enum OperatorTable {
    /// Binary operators by token; all are left-associative except comparisons,
    /// which do not chain (`a < b < c` is an error).
    public static func binary(_ kind: TokenKind) -> (BinaryOp, Precedence)? {
        switch kind {
        case .keyword(.or): (.or, .or)
        case .keyword(.and): (.and, .and)
        case .equal: (.eq, .comparison)
        case .notEqual: (.ne, .comparison)
        case .less: (.lt, .comparison)
        case .lessEqual: (.le, .comparison)
        case .greater: (.gt, .comparison)
        case .greaterEqual: (.ge, .comparison)
        case .plus: (.add, .additive)
        case .minus: (.sub, .additive)
        case .star: (.mul, .multiplicative)
        case .slash: (.div, .multiplicative)
        default: nil
        }
    }

    public static func precedence(of op: BinaryOp) -> Precedence {
        switch op {
        case .or: .or
        case .and: .and
        case .eq, .ne, .lt, .le, .gt, .ge: .comparison
        case .add, .sub: .additive
        case .mul, .div: .multiplicative
        }
    }
}

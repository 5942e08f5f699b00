import StratSyntax

/// `--where 'fast < slow'`: a condition over the inputs, in the language's
/// expression syntax (numbers and the literals of input values, input names,
/// arithmetic, comparisons, `and`/`or`/`not`, `?:`-style conditionals and
/// parentheses). A point is kept when it holds.
public struct Constraint: Sendable {
    let expr: Expr
    let text: String

    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Parses `text`; names must be inputs of the strategy (`inputs`).
    public init(_ text: String, inputs: [String]) throws {
        let (expr, diagnostics) = Parser.parseExpression(SourceFile(name: "--where", text: text))
        if let d = diagnostics.items.first(where: { $0.severity == .error }) {
            throw Error(description: "--where `\(text)`: \(d.message)")
        }
        self.expr = expr
        self.text = text
        try Self.validate(expr, inputs: inputs, text: text)
    }

    /// Whether the point's input values satisfy the condition.
    public func holds(_ values: [String: Double]) throws -> Bool {
        try Self.value(expr, values, text: text) != 0
    }

    static func validate(_ e: Expr, inputs: [String], text: String) throws {
        switch e.kind {
        case .literal(let l, let t):
            switch l {
            case .integer, .float, .percent, .multiplier, .duration, .bool: break
            default: throw Error(description: "--where `\(text)`: `\(t)` cannot be compared with input values")
            }
        case .name(let n):
            guard inputs.contains(n) else {
                throw Error(description: "--where `\(text)`: `\(n)` is not an input" + (inputs.isEmpty ? "" : "; the inputs are \(inputs.joined(separator: ", "))"))
            }
        case .unary(_, let x), .paren(let x): try validate(x, inputs: inputs, text: text)
        case .binary(let first, let rest):
            try validate(first, inputs: inputs, text: text)
            for r in rest { try validate(r.rhs, inputs: inputs, text: text) }
        case .conditional(let c, let a, let b):
            for x in [c, a, b] { try validate(x, inputs: inputs, text: text) }
        default:
            throw Error(description: "--where `\(text)`: only input names, numbers, arithmetic, comparisons and and/or/not are allowed here")
        }
    }

    static func value(_ e: Expr, _ v: [String: Double], text: String) throws -> Double {
        switch e.kind {
        case .literal(let l, _):
            switch l {
            case .integer(let i): return Double(i)
            case .float(let x), .percent(let x), .multiplier(let x): return x
            case .duration(let s): return Double(s)
            case .bool(let b): return b ? 1 : 0
            default: return .nan
            }
        case .name(let n): return v[n] ?? .nan
        case .paren(let x): return try value(x, v, text: text)
        case .unary(let op, let x):
            let a = try value(x, v, text: text)
            return op == .negate ? -a : (a == 0 ? 1 : 0)
        case .conditional(let c, let a, let b):
            return try value(c, v, text: text) != 0 ? value(a, v, text: text) : value(b, v, text: text)
        case .binary(let first, let rest):
            var acc = try value(first, v, text: text)
            for r in rest {
                let b = try value(r.rhs, v, text: text)
                switch r.op {
                case .add: acc += b
                case .sub: acc -= b
                case .mul: acc *= b
                case .div: acc /= b
                case .eq: acc = acc == b ? 1 : 0
                case .ne: acc = acc != b ? 1 : 0
                case .lt: acc = acc < b ? 1 : 0
                case .le: acc = acc <= b ? 1 : 0
                case .gt: acc = acc > b ? 1 : 0
                case .ge: acc = acc >= b ? 1 : 0
                case .and: acc = acc != 0 && b != 0 ? 1 : 0
                case .or: acc = acc != 0 || b != 0 ? 1 : 0
                }
            }
            return acc
        default:
            throw Error(description: "--where `\(text)`: cannot be evaluated")
        }
    }
}

/// The limits of the language and the runtime, in one place. The front end
/// refuses source beyond them with a located diagnostic; the runtime (and the
/// backtest driver) check values bound by `--set` against the same numbers, so a
/// strategy that `strat check` passes never fails on them later. Docs/Limits.md
/// says what happens past each one.
///
///     if window > Limits.maxWindow { … "at most \(Limits.maxWindow)" … }
public enum Limits {
    /// Largest source file, in bytes (larger files get E0007 and are not parsed).
    public static let maxSourceBytes = 16 << 20

    /// Deepest nesting of an expression as written: parentheses, `if`, `not`,
    /// unary minus, call arguments, `[n]`, `.name` and `@` each open a level; a
    /// run of binary operators (`a + b + c …`, `x and y and …`) is one level,
    /// however long (E0114).
    public static let maxNesting = 256

    /// Deepest nesting once calls of user functions are expanded where they are
    /// written, in levels of the typed tree (a chain of functions each calling
    /// the one before nests them all; E0216).
    public static let maxExpandedDepth = 1_024

    /// Most typed-tree nodes that calls of user functions may add to a strategy
    /// (each distinct call is expanded once; repeated calls with the same
    /// arguments share it).
    public static let maxInlinedNodes = 250_000

    /// Longest indicator window (`sma(close, n)`, `highest(high, n)`, …), in bars.
    public static let maxWindow = 1_000_000

    /// Largest history offset (`close[n]`), in bars.
    public static let maxOffset = 1_000_000

    /// Longest order lifetime in bars (`expire after n bars`).
    public static let maxLifetimeBars = 1_000_000

    /// Longest order lifetime as a duration (`expire after 30d`): 100 years of 365 days.
    public static let maxLifetimeSeconds: Int64 = 100 * 365 * 86_400

    /// Longest timeframe (`timeframe`, `@1w`, `universe … every`): 100 years of 365 days.
    public static let maxTimeframeSeconds: Int64 = 100 * 365 * 86_400
}

/// One tier of a perpetual's leverage brackets, as Binance's `leverageBracket`
/// gives it: positions whose notional lies in [floor, cap) may use at most
/// `maxLeverage`, and keep a maintenance margin of notional × `maintenanceRate`
/// − `maintenanceAmount` (Binance's `maintMarginRatio` and `cum`).
public struct LeverageBracket: Codable, Sendable, Equatable {
    public var notionalFloor: Double
    public var notionalCap: Double
    public var maxLeverage: Double
    public var maintenanceRate: Double
    public var maintenanceAmount: Double

    public init(notionalFloor: Double, notionalCap: Double, maxLeverage: Double, maintenanceRate: Double, maintenanceAmount: Double) {
        self.notionalFloor = notionalFloor
        self.notionalCap = notionalCap
        self.maxLeverage = maxLeverage
        self.maintenanceRate = maintenanceRate
        self.maintenanceAmount = maintenanceAmount
    }
}

/// A symbol's brackets as they stood from `validFrom` (ms) on: brackets change
/// over time, so a backtest uses the table in force at each moment.
public struct BracketTable: Codable, Sendable, Equatable {
    public var validFrom: Int64
    /// In ascending notional.
    public var brackets: [LeverageBracket]

    public init(validFrom: Int64, brackets: [LeverageBracket]) {
        self.validFrom = validFrom
        self.brackets = brackets.sorted { $0.notionalFloor < $1.notionalFloor }
    }

    /// The bracket of a notional (the last one beyond every cap).
    public func bracket(for notional: Double) -> LeverageBracket {
        brackets.first { notional < $0.notionalCap } ?? brackets[brackets.count - 1]
    }
}

/// A funding rate and the moment it is paid; `mark`, when the source gives it,
/// is the mark price the payment is valued at.
public struct FundingRate: Codable, Sendable, Equatable {
    public var time: Int64
    public var rate: Double
    public var mark: Double?

    public init(time: Int64, rate: Double, mark: Double? = nil) {
        self.time = time
        self.rate = rate
        self.mark = mark
    }
}

/// What a perpetual-futures backtest reads beside the traded bars, per symbol:
/// mark-price bars (same length and times as the traded ones), funding rates,
/// dated leverage brackets (ascending `validFrom`) and the liquidation
/// (clearance) fee rate.
public struct PerpData: Sendable {
    public var marks: [String: [Bar]]
    public var funding: [String: [FundingRate]]
    public var brackets: [String: [BracketTable]]
    public var liquidationFee: [String: Double]

    public init(marks: [String: [Bar]] = [:], funding: [String: [FundingRate]] = [:], brackets: [String: [BracketTable]] = [:],
                liquidationFee: [String: Double] = [:]) {
        self.marks = marks
        self.funding = funding
        self.brackets = brackets
        self.liquidationFee = liquidationFee
    }

    /// The table in force at `time`: the latest with `validFrom` ≤ time (the
    /// earliest one before any).
    public func brackets(_ symbol: String, at time: Int64) -> BracketTable? {
        guard let tables = brackets[symbol], !tables.isEmpty else { return nil }
        return tables.last { $0.validFrom <= time } ?? tables[0]
    }
}

import Foundation
import StratMarket
import Testing

/// "\r\n" is one Character in Swift, so splitting a String on "\n" leaves a
/// Windows file as one line: the text readers split on both.
@Suite struct LineEndingTests {
    @Test func depthSnapshotsWithWindowsLineEnds() throws {
        let unix = "time,side,price,quantity\n2024-01-01T00:00:00Z,bid,99.5,3\n2024-01-01T00:00:00Z,ask,100.5,2\n"
        let windows = unix.replacingOccurrences(of: "\n", with: "\r\n")
        let book = try DepthCSV.parse(windows, file: "d.csv")
        #expect(book == (try DepthCSV.parse(unix, file: "d.csv")))
        #expect(book == [BookSnapshot(time: 1_704_067_200_000, bids: [BookLevel(price: 99.5, quantity: 3)], asks: [BookLevel(price: 100.5, quantity: 2)])])
    }
}

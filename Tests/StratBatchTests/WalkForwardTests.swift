import StratBatch
import Testing

@Suite struct WalkForwardTests {
    let hour: Int64 = 3_600_000

    @Test func barCountWindowsRollOrAnchor() throws {
        let times = (0..<10).map { Int64($0) * hour }
        let rolling = try WalkForward(parsing: "4/3", anchored: false).windows(times)
        // Train bars 0–3, test 4–6; train 3–6, test 7–9 (the data ends there).
        let h = hour
        let first = WalkForward.Window(trainFrom: 0, trainTo: 4 * h, testFrom: 4 * h, testTo: 7 * h)
        let second = WalkForward.Window(trainFrom: 3 * h, trainTo: 7 * h, testFrom: 7 * h, testTo: 9 * h + 1)
        #expect(rolling == [first, second])
        let anchored = try WalkForward(parsing: "4/3", anchored: true).windows(times)
        #expect(anchored.map(\.trainFrom) == [0, 0] && anchored.map(\.trainTo) == [4 * hour, 7 * hour])
    }

    /// Duration windows over a gap in the data: a window without a training or
    /// a test bar is left out.
    @Test func durationWindowsSkipGaps() throws {
        let times = [0, 1, 2, 3, 10, 11, 12, 13].map { Int64($0) * hour }
        let w = try WalkForward(parsing: "2h/2h", anchored: false).windows(times)
        // Bars at hours 0–3 and 10–13. Windows train [2k, 2k + 2) and test the next
        // two hours: k = 0 (train 0–1, test 2–3) and k = 5 (train 10–11, test 12–13)
        // have both; the ones in between fall in the gap (k = 4 trains on 8–9, empty).
        #expect(w.map { $0.testFrom / hour } == [2, 12])
        #expect(w.map { $0.trainFrom / hour } == [0, 10])
    }

    @Test func badSpecsAndTooManyWindowsAreRefused() throws {
        #expect(throws: WalkForward.Error.self) { try WalkForward(parsing: "100/30d", anchored: false) }
        #expect(throws: WalkForward.Error.self) { try WalkForward(parsing: "0/5", anchored: false) }
        #expect(throws: WalkForward.Error.self) { try WalkForward(parsing: "180d", anchored: false) }
        let many = (0..<30_000).map { Int64($0) * hour }
        let error = #expect(throws: WalkForward.Error.self) { try WalkForward(parsing: "1/1", anchored: false).windows(many) }
        #expect(error?.description == "--walk-forward: more than 10000 windows; give a longer test length")
        #expect(throws: WalkForward.Error.self) { try WalkForward(parsing: "40000/1", anchored: false).windows(many) }
    }
}
